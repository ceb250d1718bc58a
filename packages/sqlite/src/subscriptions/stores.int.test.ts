import { subscriptionStoresContract } from '@twofold/core/testing';
import { tempDir } from '../../tests/temp-dir.js';
import { sqlite } from '../index.js';

const temp = tempDir();

subscriptionStoresContract('sqlite(…).checkpoints and .deadLetters', () => {
  const path = temp.file('subscriptions');
  return {
    open: () => {
      const db = sqlite(path);
      return { checkpoints: db.checkpoints, deadLetters: db.deadLetters, close: () => db.close() };
    },
  };
});
