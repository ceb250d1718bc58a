import { InvalidArgumentError } from '../errors/errors.js';
import type { EventDefinition } from '../messages/define.js';

/**
 * The handlers of a projection or a subscriber, one per event type, checked as they are added.
 * `owner` names the builder in errors, e.g. `projection('bookings')`.
 */
export class HandlerTable<H> {
  readonly #owner: string;
  readonly #handlers = new Map<string, H>();
  readonly eventTypes = new Set<string>();

  constructor(owner: string) {
    this.#owner = owner;
  }

  add(definition: EventDefinition, handler: H): void {
    if (typeof definition !== 'object' || definition === null || definition.kind !== 'event') {
      throw new InvalidArgumentError(`${this.#owner}.on(): the first argument must be an event definition`);
    }
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError(`${this.#owner}.on('${definition.type}'): the handler must be a function`);
    }
    if (this.#handlers.has(definition.type)) {
      throw new InvalidArgumentError(`${this.#owner} already handles '${definition.type}'`);
    }
    this.#handlers.set(definition.type, handler);
    this.eventTypes.add(definition.type);
  }

  get(type: string): H | undefined {
    return this.#handlers.get(type);
  }
}

const NAME = /^[A-Za-z_][\w.-]*$/;

/** Checks the name of a projection, subscriber or model: a letter or _, then letters, digits, _ . - */
export function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `${where}: the name must start with a letter or _ and hold only letters, digits, _ . -; got ${JSON.stringify(name)}`,
    );
  }
}
