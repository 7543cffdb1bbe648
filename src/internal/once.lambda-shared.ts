/**
 * A value read once per container and then kept, such as a secret: the first
 * call starts the read, later calls share it, and a failed read is forgotten
 * so the next call tries again.
 */
export function onceUntilFailure<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= read().catch((error) => {
    pending = undefined;
    throw error;
  }));
}
