import { subscriptionStoresContract } from '@twofold/core/testing';
import { tempDir } from '../../tests/temp-dir.js';
import { SqliteCheckpointStore, SqliteDeadLetterStore } from '../index.js';

const temp = tempDir();

subscriptionStoresContract('SqliteCheckpointStore and SqliteDeadLetterStore', () => {
  const path = temp.file('subscriptions');
  return {
    open: () => {
      const checkpoints = new SqliteCheckpointStore({ path });
      const deadLetters = new SqliteDeadLetterStore({ path });
      return {
        checkpoints,
        deadLetters,
        close: () => {
          checkpoints.close();
          deadLetters.close();
        },
      };
    },
  };
});
