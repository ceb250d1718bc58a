// The cancellation's process under faults, every part a process of its own: the hotel (WORKERS=0), a worker
// process, billing and a throwaway nats-server. Mid-flow, each round SIGKILLs the worker, billing and nats-server
// and starts them again on the same data. Every accepted cancellation still ends with exactly one refund at billing,
// one refund recorded, one mail and one alert. A short run of the scenario in bench/reliability/cancellation-faults.ts;
// CANCELLATION_FAULT_ROUNDS and CANCELLATION_FAULT_BOOKINGS size a longer one, as does the bench's
// `cancellation-faults` mode.
import { expect, it } from 'vitest';
import { runCancellationFaults } from '../../../../bench/reliability/cancellation-faults.js';

const ROUNDS = Number(process.env.CANCELLATION_FAULT_ROUNDS ?? 2);
const PER_ROUND = Number(process.env.CANCELLATION_FAULT_BOOKINGS ?? 4);

it('ends every accepted cancellation with one refund, one mail and one alert, through SIGKILLs', async () => {
  const report = await runCancellationFaults({ rounds: ROUNDS, perRound: PER_ROUND });
  console.log(report.summary);
  expect(report.accepted).toHaveLength(ROUNDS * PER_ROUND);
  expect(report.kills).toEqual({ worker: ROUNDS, billing: ROUNDS, nats: ROUNDS });
  const once = new Map(report.accepted.map((id) => [id, 1]));
  expect(report.billed).toEqual(once);
  expect(report.recorded).toEqual(once);
  expect(report.mails).toEqual(once);
  expect(report.alerts).toEqual(once);
  // Four processes started, killed and started again each round: minutes on a loaded machine.
}, 300_000);
