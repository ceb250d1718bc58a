export { HEADERS } from './headers.js';
export { isProblemCode, PROBLEM_STATUS, type ProblemCode, type ProblemDetails } from './problems.js';
export type { CommandResultBody } from './results.js';
