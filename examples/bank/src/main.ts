// Starts the bank: `npm start` in examples/bank. PORT (default 3000) and DATABASE (default data/bank.db) configure it.
import { serve } from '@twofold/http';
import { sqlite } from '@twofold/sqlite';
import { bank } from './bank.js';

const app = await bank(sqlite(process.env.DATABASE ?? 'data/bank.db')).start();
const { url } = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`Bank: ${url}  (API docs: ${url}/docs)`);
app.onClose(() => console.log('Bank: closing'));
