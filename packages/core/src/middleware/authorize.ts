import { ForbiddenError, InvalidArgumentError, UnauthenticatedError } from '../errors/errors.js';
import type { AnyMiddlewareContext, CommandMiddlewareContext, QueryMiddlewareContext } from '../mediator/context.js';
import type { Middleware } from '../mediator/pipeline.js';

/** Decides whether the dispatch may run. Throw {@link UnauthenticatedError} to ask for a login instead. */
export type Policy<C> = (ctx: C) => boolean | Promise<boolean>;

/** Policies for one kind: per message type, with a `default` for every type not listed. */
export type PolicyTable<C> = Readonly<Record<string, Policy<C>>> & { readonly default?: Policy<C> };

/** Options of {@link authorize}: writes and reads get separate policies. */
export interface AuthorizeOptions {
  /** Who may send which command. A command with no rule and no default is refused. */
  readonly commands?: Policy<CommandMiddlewareContext> | PolicyTable<CommandMiddlewareContext>;
  /** Who may ask which query. A query with no rule and no default is refused. */
  readonly queries?: Policy<QueryMiddlewareContext> | PolicyTable<QueryMiddlewareContext>;
}

/** A policy that lets through any authenticated principal, and asks anyone else to authenticate. */
export const authenticated: Policy<AnyMiddlewareContext> = (ctx) => {
  if (ctx.principal === undefined) throw new UnauthenticatedError();
  return true;
};

/** A policy that lets everyone through, signed in or not. */
export const anyone: Policy<AnyMiddlewareContext> = () => true;

/**
 * A policy that needs one of `roles` on the principal (`principal.roles`).
 *
 * @example
 * authorize({ commands: { 'hotel.RegisterRoom': hasRole('manager'), default: authenticated } })
 */
export function hasRole(...roles: readonly string[]): Policy<AnyMiddlewareContext> {
  if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r.length === 0)) {
    throw new InvalidArgumentError('hasRole(): name at least one role, each a non-empty string');
  }
  return (ctx) => {
    if (ctx.principal === undefined) throw new UnauthenticatedError();
    return ctx.principal.roles?.some((role) => roles.includes(role)) ?? false;
  };
}

function resolve<C extends { type: string }>(
  rules: Policy<C> | PolicyTable<C> | undefined,
  where: string,
): (ctx: C) => Policy<C> | undefined {
  if (rules === undefined) return () => undefined;
  if (typeof rules === 'function') return () => rules;
  if (typeof rules !== 'object' || rules === null) {
    throw new InvalidArgumentError(`authorize(): ${where} must be a policy function or a table of them`);
  }
  for (const [key, policy] of Object.entries(rules)) {
    if (typeof policy !== 'function') {
      throw new InvalidArgumentError(`authorize(): ${where}['${key}'] must be a policy function`);
    }
  }
  const table = rules as PolicyTable<C>;
  return (ctx) => (Object.hasOwn(table, ctx.type) ? table[ctx.type] : table.default);
}

/**
 * Authorization with separate policies for commands (writes) and queries (reads). Events are not
 * checked: they are published by handlers that were already authorized. A refused message fails with
 * FORBIDDEN (or UNAUTHENTICATED) before its handler runs.
 *
 * @example
 * mediator.use(authorize({
 *   commands: { default: authenticated, 'hotel.RegisterRoom': hasRole('manager') },
 *   queries: anyone,
 * }));
 */
export function authorize(options: AuthorizeOptions): Middleware<AnyMiddlewareContext> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('authorize(): options must be { commands?, queries? }');
  }
  const commandPolicy = resolve(options.commands, 'commands');
  const queryPolicy = resolve(options.queries, 'queries');
  return async function authorizeMiddleware(ctx, next) {
    if (ctx.kind === 'event') return next();
    const policy = ctx.kind === 'command' ? commandPolicy(ctx) : queryPolicy(ctx);
    if (policy === undefined) {
      throw new ForbiddenError(`No ${ctx.kind} policy allows '${ctx.type}'`);
    }
    if (!(await policy(ctx as never))) {
      const who = ctx.principal === undefined ? 'an anonymous caller' : `'${ctx.principal.id}'`;
      throw new ForbiddenError(`${who} may not ${ctx.kind === 'command' ? 'send' : 'ask'} '${ctx.type}'`);
    }
    return next();
  };
}
