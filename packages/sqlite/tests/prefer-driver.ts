// Setup file of the package's vitest projects, one per driver: every store a test opens without naming a driver
// opens with the project's.
import { inject } from 'vitest';
import { preferDriver } from '../src/driver/open-connection.js';

preferDriver(inject('sqliteDriver'));
