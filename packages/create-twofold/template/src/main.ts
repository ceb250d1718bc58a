// `npm start`: the app on an SQLite file, over HTTP. PORT (default 3000) and DATABASE (default data/app.db)
// configure it; Ctrl-C or SIGTERM closes it in order.
import { serve } from '@twofold/http';
import { sqlite } from '@twofold/sqlite';
import { todo } from './app.js';

const app = await todo(sqlite(process.env.DATABASE ?? 'data/app.db')).start();
const { url } = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`listening on ${url} (API docs: ${url}/docs)`);
app.onClose(() => console.log('closing'));
