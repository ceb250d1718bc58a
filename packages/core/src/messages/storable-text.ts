import { ValidationError, type ValidationIssue } from '../errors/errors.js';

/** At most this many issues are reported for one value: enough to fix it, never a huge error. */
const MAX_ISSUES = 10;

/**
 * What is wrong with a string that not every store can hold, or undefined when it is fine. PostgreSQL's `text` and
 * `jsonb` refuse U+0000, and a lone (unpaired) surrogate is not Unicode at all: jsonb refuses it and other stores
 * replace it, so the value read back would not be the value written.
 *
 * @example
 * unstorableText('ada\u0000') // 'contains U+0000 (NUL), which no store can hold'
 * unstorableText('ada')       // undefined
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which no store can hold';
  if (LONE_SURROGATE.test(text)) return 'contains a lone surrogate (unpaired U+D800–U+DFFF), which is not Unicode text';
  return undefined;
}

// Without the u flag a regular expression sees UTF-16 code units: a high surrogate not followed by a low one, or
// a low one not preceded by a high one, is lone.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Every string in `value` that a store could not hold, each with its path: strings anywhere in plain objects and
 * arrays, and the objects' property names too. Walks without recursion, so that depth cannot overflow the stack,
 * and visits each object once, so that a cycle ends. Stops after the first few issues.
 *
 * @example
 * unstorableStrings({ guest: { name: 'a\u0000' } }) // [{ path: ['guest', 'name'], message: 'contains U+0000…' }]
 */
export function unstorableStrings(value: unknown): ValidationIssue[] {
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem === undefined ? [] : [{ path: [], message: problem }];
  }
  if (!isPlain(value)) return [];
  const issues: ValidationIssue[] = [];
  const seen = new Set<object>();
  const stack: Visit[] = [{ value, at: undefined }];
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value: node, at } = stack.pop()!;
    if (seen.has(node)) continue;
    seen.add(node);
    const array = Array.isArray(node);
    for (const key of Object.keys(node)) {
      const step: Step = { key: array ? Number(key) : key, parent: at };
      if (!array) {
        const problem = unstorableText(key);
        if (problem !== undefined) issues.push({ path: pathOf(step), message: `property name ${problem}` });
      }
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'string') {
        const problem = unstorableText(child);
        if (problem !== undefined) issues.push({ path: pathOf(step), message: problem });
      } else if (isPlain(child)) {
        stack.push({ value: child, at: step });
      }
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

// A path is kept as a chain of steps and spelled out only for an issue: copying it at every level would cost the
// square of the depth.
interface Step {
  readonly key: string | number;
  readonly parent: Step | undefined;
}

interface Visit {
  readonly value: object;
  readonly at: Step | undefined;
}

function pathOf(step: Step): (string | number)[] {
  const path: (string | number)[] = [];
  for (let s: Step | undefined = step; s !== undefined; s = s.parent) path.push(s.key);
  return path.reverse();
}

/**
 * Throws a {@link ValidationError} naming each string in `value` that a store could not hold. The mediator applies
 * it to every payload it dispatches and the event stores to every event they append, so that what the write side
 * accepts, every store can hold.
 *
 * @example
 * assertStorable(data, 'hotel.BookRoom') // throws: Invalid payload for hotel.BookRoom: reason: contains U+0000…
 */
export function assertStorable(value: unknown, messageType: string, what?: string): void {
  // Numbers, booleans and empty objects are the common case: nothing to walk.
  if (typeof value !== 'string' && (typeof value !== 'object' || value === null)) return;
  const issues = unstorableStrings(value);
  if (issues.length > 0) throw new ValidationError(messageType, issues, what);
}

// Only data is walked: class instances (Dates, Buffers, Maps) are a store's or a schema's business.
function isPlain(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
