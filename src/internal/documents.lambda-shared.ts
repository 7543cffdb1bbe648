import {
  ConditionalCheckFailedException, DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, ReturnValue, UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';

type Values = Record<string, unknown>;
/** An item as read: the stores know their own shapes. */
type Item = Record<string, any>;

interface Expressions {
  readonly ConditionExpression?: string;
  readonly ExpressionAttributeNames?: Record<string, string>;
  readonly ExpressionAttributeValues?: Values;
}

/**
 * DynamoDB items as plain objects, over the runtime's DynamoDB client with
 * util-dynamodb's marshalling: what the handlers need of lib-dynamodb's
 * document client, at a thirtieth of its bundle size (5 KB against 143 KB
 * minified, measured with esbuild).
 */
export class Documents {
  constructor(public readonly client: DynamoDBClient) {}

  public async get(input: { TableName: string; Key: Values; ConsistentRead?: boolean }): Promise<{ Item?: Item }> {
    const answer = await this.client.send(new GetItemCommand({ ...input, Key: item(input.Key) }));
    return { Item: answer.Item ? unmarshall(answer.Item) : undefined };
  }

  public async put(input: { TableName: string; Item: object } & Expressions): Promise<void> {
    await this.client.send(new PutItemCommand({
      ...input, Item: item(input.Item), ExpressionAttributeValues: values(input.ExpressionAttributeValues),
    }));
  }

  public async update(
    input: { TableName: string; Key: Values; UpdateExpression: string; ReturnValues?: ReturnValue } & Expressions,
  ): Promise<{ Attributes?: Item }> {
    const answer = await this.client.send(new UpdateItemCommand({
      ...input, Key: item(input.Key), ExpressionAttributeValues: values(input.ExpressionAttributeValues),
    }));
    return { Attributes: answer.Attributes ? unmarshall(answer.Attributes) : undefined };
  }

  /**
   * A conditional update: answers the item after it (or `{}` without
   * `ReturnValues`), or `undefined` when its condition did not hold, which is
   * how a duplicate, stale or racing write is told apart from a fault.
   */
  public async updateIf(
    input: { TableName: string; Key: Values; UpdateExpression: string; ConditionExpression: string; ReturnValues?: ReturnValue } & Expressions,
  ): Promise<Item | undefined> {
    try {
      return (await this.update(input)).Attributes ?? {};
    } catch (error) {
      if (isConditionFailure(error)) {
        return undefined;
      }
      throw error;
    }
  }

  /** A conditional put: answers false when its condition did not hold. */
  public async putIf(input: { TableName: string; Item: object; ConditionExpression: string } & Expressions): Promise<boolean> {
    try {
      await this.put(input);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        return false;
      }
      throw error;
    }
  }

  public async delete(input: { TableName: string; Key: Values }): Promise<void> {
    await this.client.send(new DeleteItemCommand({ ...input, Key: item(input.Key) }));
  }

  public async query(input: {
    TableName: string;
    IndexName?: string;
    KeyConditionExpression: string;
    FilterExpression?: string;
    Limit?: number;
    ExclusiveStartKey?: Values;
    ScanIndexForward?: boolean;
    ConsistentRead?: boolean;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Values;
  }): Promise<{ Items: Item[]; LastEvaluatedKey?: Item }> {
    const answer = await this.client.send(new QueryCommand({
      ...input,
      ExclusiveStartKey: input.ExclusiveStartKey ? item(input.ExclusiveStartKey) : undefined,
      ExpressionAttributeValues: values(input.ExpressionAttributeValues),
    }));
    return {
      Items: (answer.Items ?? []).map((entry) => unmarshall(entry)),
      LastEvaluatedKey: answer.LastEvaluatedKey ? unmarshall(answer.LastEvaluatedKey) : undefined,
    };
  }
}

/** Whether DynamoDB refused a write because its condition did not hold (by type, or by name across client copies). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string })?.name === 'ConditionalCheckFailedException';
}

function item(value: object) {
  return marshall(value, { removeUndefinedValues: true });
}

function values(value: Values | undefined) {
  return value === undefined ? undefined : marshall(value, { removeUndefinedValues: true });
}
