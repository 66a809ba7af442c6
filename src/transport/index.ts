/**
 * Transport: how kubesmith reaches hosts.
 * - command.ts: quote / sh`` / secret() / raw() — the one place values are quoted.
 * - types.ts: Transport, ExecOptions/ExecResult, CommandError (+ CommandTimeoutError, CommandAbortedError), ConnectError.
 * - pool.ts: ConnectionPool(inventory, {inventoryDir, onCommand?, onConnect?, env?, retry?}) → get(host), closeAll(), stats().
 * - ssh.ts: SshTransport (one connection per host, bounded channels, sudo, kill-on-timeout, masked logs).
 * - recording.ts: RecordingTransport for unit tests (throws on unexpected commands, in-memory files).
 */
export * from './command.js';
export * from './types.js';
export { SshTransport, type SshTransportOptions, type CommandRecord, type ConnectRecord, type RawOptions, type RawResult } from './ssh.js';
export { ConnectionPool, type PoolOptions } from './pool.js';
export { RecordingTransport, type Reply, type ReplyFn, type Matcher, type RecordedCall, type MemoryFile } from './recording.js';
export { connectWithRetry, type ConnectSpec } from './connect.js';
export * from './known-hosts.js';
export { Semaphore } from './semaphore.js';
export { sha256File } from './files.js';
export { wrapCommand, killTreeScript, type Elevation } from './wrapper.js';
