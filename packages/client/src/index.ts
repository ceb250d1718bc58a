export {
  type AskOptions,
  type CallOptions,
  type Client,
  type ClientOptions,
  type CommandReceipt,
  createClient,
  type HeadersInit,
  type HeadersSource,
  type SendOptions,
} from './client/create-client.js';
export type { QueuedReceipt, QueuedStatus, WaitOptions } from './client/queued.js';
export {
  isRemoteError,
  type ProblemDocument,
  RemoteError,
  type RemoteErrorCode,
} from './errors/remote-error.js';
