import { PROBLEM_STATUS } from '@twofold/core/wire';
import type { OpenApiDocument } from './openapi.js';

interface Operation {
  readonly summary?: string;
  readonly description?: string;
  readonly operationId?: string;
  readonly parameters?: readonly Record<string, unknown>[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: unknown }> };
}

/**
 * A self-contained HTML page (no scripts, no external assets) that lists every command and query of an
 * OpenAPI document with its input and result schemas, and the problem codes.
 */
export function docsPage(document: OpenApiDocument, openApiUrl: string): string {
  const info = document.info as { title: string; version: string; description?: string };
  const schemas = ((document.components as Record<string, unknown>).schemas ?? {}) as Record<string, unknown>;
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const sections = { commands: [] as string[], queries: [] as string[] };
  for (const [path, methods] of Object.entries(paths)) {
    const kind = path.startsWith('/commands/') ? 'commands' : 'queries';
    for (const [method, operation] of Object.entries(methods)) {
      if (method === 'post' && kind === 'queries') continue;
      sections[kind].push(operationHtml(path, method, operation, schemas));
    }
  }
  const codes = Object.entries(PROBLEM_STATUS)
    .map(([code, status]) => `<tr><td><code>${code}</code></td><td>${status}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${html(info.title)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d232a}
h1{margin-bottom:0}h2{margin-top:2.5rem;border-bottom:1px solid #d7dde3}
section.op{border:1px solid #d7dde3;border-radius:6px;padding:.75rem 1rem;margin:1rem 0}
.method{font-weight:700;font-family:ui-monospace,monospace;padding:.1rem .4rem;border-radius:4px;color:#fff;background:#2f6f4e}
.method.post{background:#2b5c9b}code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f4f6f8;padding:.6rem;border-radius:4px;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border:1px solid #d7dde3;padding:.2rem .6rem;text-align:left}
details summary{cursor:pointer}
</style></head><body>
<h1>${html(info.title)}</h1><p>Version ${html(info.version)} · <a href="${html(openApiUrl)}">OpenAPI 3.1 document</a></p>
${info.description === undefined ? '' : `<p>${html(info.description)}</p>`}
<p>Send a command with <code>POST /commands/{type}</code> and a JSON body; the answer is <code>{ "result", "position" }</code>.
Ask a query with <code>GET /queries/{type}?param=value</code> (or <code>POST</code> with a JSON body); pass a command's
position as the <code>Twofold-After</code> header to read your own writes. Errors are <code>application/problem+json</code>.</p>
<h2>Commands</h2>${sections.commands.join('') || '<p>None.</p>'}
<h2>Queries</h2>${sections.queries.join('') || '<p>None.</p>'}
<h2>Problem codes</h2><table><tr><th>code</th><th>status</th></tr>${codes}</table>
</body></html>`;
}

function operationHtml(path: string, method: string, op: Operation, schemas: Record<string, unknown>): string {
  const input = op.requestBody?.content?.['application/json']?.schema;
  const params = (op.parameters ?? []).filter((p) => p.in === 'query' && p.name !== 'after');
  const inputSchema =
    input !== undefined
      ? input
      : params.length > 0
        ? Object.fromEntries(params.map((p) => [p.name as string, p.schema ?? p.content]))
        : undefined;
  const resultName = `${op.operationId?.replace(/\.live$/, '')}.Result`;
  const result = schemas[resultName];
  return `<section class="op"><p><span class="method ${method}">${method.toUpperCase()}</span> <code>${html(path)}</code></p>
${op.summary !== undefined && op.summary !== op.operationId ? `<p>${html(op.summary)}</p>` : ''}
${op.description === undefined ? '' : `<p>${html(op.description)}</p>`}
${inputSchema === undefined ? '' : `<details open><summary>Input</summary><pre>${html(JSON.stringify(resolveRef(inputSchema, schemas), null, 2))}</pre></details>`}
${result === undefined ? '' : `<details><summary>Result</summary><pre>${html(JSON.stringify(result, null, 2))}</pre></details>`}
</section>`;
}

function resolveRef(schema: unknown, schemas: Record<string, unknown>): unknown {
  const ref = (schema as { $ref?: unknown } | null)?.$ref;
  return typeof ref === 'string' && ref.startsWith('#/components/schemas/')
    ? (schemas[ref.slice('#/components/schemas/'.length)] ?? schema)
    : schema;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
