// Starts the bank: `npm start` in examples/bank. PORT (default 3000) and DATABASE (default data/bank.db) configure it.
import { serve } from '@twofold/http';
import { bank } from './bank.js';
import { sqliteDatabase } from './sqlite-database.js';

const app = await bank(sqliteDatabase(process.env.DATABASE ?? 'data/bank.db')).start();
const { url } = await serve(app, { port: Number(process.env.PORT ?? 3000) });
console.log(`Bank: ${url}  (API docs: ${url}/docs)`);
app.onClose(() => console.log('Bank: closing'));
