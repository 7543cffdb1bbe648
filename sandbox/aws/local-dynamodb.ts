import { AddressInfo } from 'node:net';
import { CreateTableCommand, CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Documents } from '../../src/internal/documents.lambda-shared';

// dynalite ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite');

export interface LocalDynamoDB {
  readonly client: DynamoDBClient;
  readonly documents: Documents;
  /** A table whose keys are strings, or a number for the sort key when `sortKeyType` is `N`. */
  createTable(name: string, partitionKey: string, sortKey?: string, sortKeyType?: 'S' | 'N'): Promise<void>;
  /** A table with indexes: every key attribute is a string. */
  createTableWithIndexes(name: string, keys: [string, string?], indexes: Record<string, [string, string?]>): Promise<void>;
  close(): Promise<void>;
}

/** An in-memory dynalite server on loopback, with clients pointed at it. */
export async function startLocalDynamoDB(): Promise<LocalDynamoDB> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    client,
    documents: new Documents(client),
    async createTable(name, partitionKey, sortKey, sortKeyType = 'S') {
      await client.send(new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: partitionKey, AttributeType: 'S' }, ...(sortKey ? [{ AttributeName: sortKey, AttributeType: sortKeyType }] : [])],
        KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' as const }] : [])],
      }));
    },
    async createTableWithIndexes(name, keys, indexes) {
      const schema = ([hash, range]: [string, string?]) => [
        { AttributeName: hash, KeyType: 'HASH' as const }, ...(range ? [{ AttributeName: range, KeyType: 'RANGE' as const }] : []),
      ];
      const attributes = new Set([...keys, ...Object.values(indexes).flat()].filter((a): a is string => !!a));
      const input: CreateTableCommandInput = {
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map((attribute) => ({ AttributeName: attribute, AttributeType: 'S' as const })),
        KeySchema: schema(keys),
        GlobalSecondaryIndexes: Object.entries(indexes).map(([indexName, indexKeys]) => ({
          IndexName: indexName, KeySchema: schema(indexKeys), Projection: { ProjectionType: 'ALL' as const },
        })),
      };
      await client.send(new CreateTableCommand(input));
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
