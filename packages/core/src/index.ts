export type { ProjectionOptions } from './app/projections.js';
export type { AppProjection, AppQueryContext, AppQueryHandler, AppQueryOptions } from './app/query-reads.js';
export { type AnswerQuery, Twofold, type TwofoldOptions, twofold } from './app/twofold.js';
export type { CommandsWithResult, DeciderOptions, ResultOption, StateModelOptions } from './app/write-side.js';
export { type EnqueueOptions, enqueueCommand } from './command-queue/enqueue.js';
export { MemoryCommandQueue, type MemoryCommandQueueOptions } from './command-queue/memory.js';
export type {
  ClaimRequest,
  CommandCompletion,
  CommandQueueStore,
  CommandSuccess,
  TransactionalCommandQueue,
} from './command-queue/ports.js';
export type {
  ClaimedCommand,
  CommandProblem,
  CommandStatus,
  NewQueuedCommand,
  QueuedCommand,
  QueuedEnvelope,
} from './command-queue/records.js';
export type { RetryOptions } from './command-queue/retry-policy.js';
export { CommandWorker, type CommandWorkerOptions } from './command-queue/worker.js';
export { PositionTracker, type PositionTrackerOptions } from './consistency/position-tracker.js';
export type { ReadModelProgress } from './consistency/read-model-progress.js';
export type { Database, DocumentStore } from './database/database.js';
export { type MemoryDatabase, memory } from './database/memory.js';
export { MemoryDeadLetterStore } from './dead-letters/memory.js';
export { compareDeadLetters } from './dead-letters/order.js';
export type { DeadLetter, DeadLetterCursor, DeadLetterPage, DeadLetterStore } from './dead-letters/ports.js';
export {
  CancelledError,
  ConcurrencyConflictError,
  ConsistencyTimeoutError,
  CorruptDataError,
  DeadlineExceededError,
  DomainError,
  type ErrorCode,
  ForbiddenError,
  IdempotencyKeyReusedError,
  InvalidArgumentError,
  isTwofoldError,
  NoHandlerError,
  NotFoundError,
  PositionAheadOfLogError,
  ProjectionStoppedError,
  TwofoldError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from './errors/errors.js';
export { MemoryStore, type MemoryStoreOptions, type MemoryTx } from './event-store/memory-store.js';
export type {
  AppendOptions,
  Committed,
  EventFeed,
  EventStore,
  FeedLag,
  HeldBy,
  IdempotencyRecord,
  IdempotencyStore,
  IdempotencyWrite,
  Participant,
  ReadStreamOptions,
  SnapshotStore,
  StateStore,
  StateWrite,
  StreamAppend,
  UnitOfWork,
  WriteStore,
} from './event-store/ports.js';
export {
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type StreamId,
  streamId,
} from './event-store/records.js';
export { type Upcaster, Upcasters, upcaster } from './event-store/upcasters.js';
export { MemoryInbox } from './inbox/memory.js';
export type { InboxStore } from './inbox/ports.js';
export type {
  AnyMiddlewareContext,
  CommandExecution,
  CommandHandlerContext,
  CommandMiddlewareContext,
  ContextBase,
  DispatchOptions,
  EventHandlerContext,
  EventHandlerFailure,
  EventMiddlewareContext,
  MiddlewareContext,
  PublishReport,
  QueryHandlerContext,
  QueryMiddlewareContext,
  ReadCapabilities,
  WriteCapabilities,
} from './mediator/context.js';
export type { PublishStrategy } from './mediator/event-delivery.js';
export type {
  CommandHandler,
  ContextFor,
  ContextOfKind,
  EventHandler,
  PipelineResult,
  QueryHandler,
} from './mediator/handlers.js';
export {
  type ContextStorage,
  createMediator,
  Mediator,
  type MediatorOptions,
  type PublishOptions,
  type QueryOptions,
} from './mediator/mediator.js';
export type { Middleware } from './mediator/pipeline.js';
export type { MiddlewareScope } from './mediator/scope.js';
export {
  type CommandDefinition,
  type CommandOptions,
  type DefineOptions,
  type DefinitionBase,
  defineCommand,
  defineEvent,
  defineQuery,
  defineStreamQuery,
  type EventDefinition,
  type EventOptions,
  type InputOf,
  type MessageDefinition,
  type MessageKind,
  type PayloadOf,
  type QueryDefinition,
  type ResultOf,
} from './messages/define.js';
export type { Envelope, EnvelopeOptions, Principal } from './messages/envelope.js';
export { isStandardSchema, type SchemaInput, type SchemaOutput, type StandardSchemaV1 } from './messages/schema.js';
export {
  type AuthorizeOptions,
  anyone,
  authenticated,
  authorize,
  hasRole,
  type Policy,
  type PolicyTable,
} from './middleware/authorize.js';
export { type LoggingOptions, logging } from './middleware/logging.js';
export { type DispatchSample, metrics } from './middleware/metrics.js';
export { type ErrorClass, recover } from './middleware/recover.js';
export { MemoryOutbox } from './outbox/memory.js';
export {
  type NewOutboxMessage,
  type OutboxMessage,
  type OutboxStore,
  outboxParticipant,
} from './outbox/ports.js';
export { OutboxRelay, type OutboxRelayOptions } from './outbox/relay.js';
export { type GlobalPosition, globalPosition, START } from './positions/position.js';
export type { ProcessInstance } from './process-managers/instance.js';
export { MemoryProcessStore } from './process-managers/memory.js';
export type { DueTimer, ProcessCommit, ProcessStore } from './process-managers/ports.js';
export {
  defineProcessManager,
  type ProcessContext,
  type ProcessManager,
  type ProcessReaction,
} from './process-managers/process-manager.js';
export { ProcessManagerRunner, type ProcessManagerRunnerOptions } from './process-managers/runner.js';
export type { ProcessManagerFailure, ProcessManagerStatus } from './process-managers/status.js';
export { PROCESS_TIMER_LETTER, type TimerLetterData } from './process-managers/timer-letters.js';
export {
  type DocumentIndex,
  type DocumentOrder,
  type DocumentPage,
  type FindOptions,
  isDocumentCursor,
  MAX_DOCUMENT_LIMIT,
  type PageOptions,
} from './projections/document-query.js';
export type {
  DocumentCollection,
  DocumentFilter,
  DocumentReader,
  DocumentTx,
  InlineCollection,
  InlineDocumentTx,
  WritableCollection,
} from './projections/documents.js';
export { type InlineProjection, inlineProjection } from './projections/inline.js';
export { MemoryDocumentStore } from './projections/memory-store.js';
export type {
  InlineDocumentStore,
  InlineProjectionStore,
  ProjectionSlot,
  ProjectionStore,
} from './projections/ports.js';
export {
  type Projection,
  type ProjectionBuilder,
  type ProjectionHandler,
  projection,
} from './projections/projection.js';
export {
  type CatchUpProgress,
  type ProjectionFailurePolicy,
  ProjectionRunner,
  type ProjectionRunnerOptions,
  type ProjectionState,
  type ProjectionStatus,
} from './projections/runner.js';
export { type BackgroundRunner, ReadSide, type ReadSideStatus } from './read-side/read-side.js';
export { consoleLogger, type Logger, type LogLevel } from './runtime/logger.js';
export { MemoryCheckpointStore } from './subscriptions/memory.js';
export type { CheckpointStore } from './subscriptions/ports.js';
export { SubscriberRunner, type SubscriberRunnerOptions, type SubscriberStatus } from './subscriptions/runner.js';
export {
  type Subscriber,
  type SubscriberBuilder,
  type SubscriberContext,
  type SubscriberHandler,
  subscriber,
} from './subscriptions/subscriber.js';
export {
  type Decider,
  defineDecider,
  defineStateModel,
  type MessageOf,
  type StateDecision,
  type StateModel,
} from './write-model/models.js';
export {
  type EventSourcedOptions,
  type Handler,
  type ResultFrom,
  type StateStoredOptions,
  type WriteModels,
  type WriteModelsOptions,
  writeModels,
} from './write-model/write-models.js';
