// Child process of platformatic-transactions.test.ts: drives @platformatic/kafka's idempotent and transactional
// producer (ESM-only, so not loadable by Jest) against a broker the test started, and prints "RESULT <json>".
//
//   node --import tsx platformatic-txn-child.mts <bootstrap> <topic>
//
// An idempotent producer sends 20 records one by one; a transactional producer commits one transaction, aborts
// one and commits another. The test reads the partition back itself.
import { Producer, stringSerializers } from '@platformatic/kafka';

const [bootstrap, topic] = process.argv.slice(2);

const idempotent = new Producer({ clientId: 'platformatic-idempotent', bootstrapBrokers: [bootstrap], serializers: stringSerializers, idempotent: true, retries: 3 });
const offsets: string[] = [];
for (let i = 0; i < 20; i++) {
  const r = await idempotent.send({ messages: [{ topic, partition: 0, value: `idem-${i}` }], acks: -1 });
  offsets.push(String(r.offsets?.[0]?.offset));
}
const idempotentInfo = { producerId: String(idempotent.producerId), epoch: idempotent.producerEpoch };
await idempotent.close();

const producer = new Producer({
  clientId: 'platformatic-txn',
  bootstrapBrokers: [bootstrap],
  serializers: stringSerializers,
  idempotent: true,
  transactionalId: 'platformatic-tx',
  retries: 3,
});
const run = async (prefix: string, commit: boolean) => {
  const txn = await producer.beginTransaction();
  await txn.send({ messages: [0, 1, 2].map((i) => ({ topic, partition: 1, value: `${prefix}-${i}` })) });
  if (commit) await txn.commit();
  else await txn.abort();
};
await run('first', true);
await run('aborted', false);
await run('second', true);
const txnInfo = { producerId: String(producer.producerId), epoch: producer.producerEpoch };
await producer.close();
console.log(`RESULT ${JSON.stringify({ offsets, idempotentInfo, txnInfo })}`);
