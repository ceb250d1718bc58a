export { HEADERS } from './headers.js';
export { isProblemCode, PROBLEM_STATUS, type ProblemCode, type ProblemDetails } from './problems.js';
export {
  type AcceptedCommandBody,
  type CommandStatusBody,
  type CommandStatusProblem,
  commandStatusPath,
  FINAL_COMMAND_STATUSES,
  MAX_WAIT_SECONDS,
} from './queued.js';
export type { CommandResultBody } from './results.js';
