import type { NewQueuedCommand } from '../command-queue/records.js';
import { validate } from '../messages/schema.js';
import type { ProcessStep } from './instance.js';
import type { ProcessManager } from './process-manager.js';

/**
 * The commands a step sends, validated and ready for the queue: one id per instance version and place, so that
 * the same commit made twice can only enqueue each command once, and one key per instance, so that its commands
 * run in the order it sent them. They carry the correlation of the event that caused them (`cause`), or their
 * own id for a timer's.
 */
export function queuedCommands(
  manager: ProcessManager,
  step: ProcessStep,
  origin: {
    readonly correlation: string;
    readonly cause: { readonly id: string; readonly correlationId: unknown } | undefined;
  },
): Promise<NewQueuedCommand[]> {
  const { correlation, cause } = origin;
  const now = Date.now();
  return Promise.all(
    step.send.map(async ({ type, data }, index) => {
      const definition = manager.commands.find((command) => command.type === type)!;
      await validate(definition.schema, data, type);
      const id = `${manager.name}:${correlation}:${step.instance.version}:${index}`;
      const correlationId = typeof cause?.correlationId === 'string' ? cause.correlationId : (cause?.id ?? id);
      return {
        id,
        type,
        data,
        envelope: {
          correlationId,
          causationId: cause?.id,
          principal: undefined,
          tenant: undefined,
          metadata: {},
          idempotencyKey: undefined,
        },
        key: `${manager.name}:${correlation}`,
        priority: 0,
        runAt: now,
        enqueuedAt: now,
      };
    }),
  );
}
