#!/usr/bin/python3
"""Consume throughput with librdkafka (confluent-kafka-python), for tools/bench/src/broker-bench.ts.

Assigns partition 0 of --topic from the beginning (no consumer group: manual assignment, no commits) and reads
with consume(num_messages=10000) until --records records have arrived or --seconds have passed. Prints one JSON
line: records, value bytes, and seconds from assign() to the last batch. Extra librdkafka properties can be given
as --set key=value.

  /usr/bin/python3 tools/bench/python/consume_throughput.py --bootstrap 127.0.0.1:9092 --topic t --records 500000
"""
import argparse
import json
import time

from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--records', type=int, required=True)
    ap.add_argument('--seconds', type=float, default=5.0)
    ap.add_argument('--set', action='append', default=[])
    args = ap.parse_args()

    conf = {
        'bootstrap.servers': args.bootstrap,
        'group.id': 'bench-manual-assign',  # required by the client; unused with assign() and no commits
        'enable.auto.commit': False,
        'enable.auto.offset.store': False,
    }
    for kv in args.set:
        k, v = kv.split('=', 1)
        conf[k] = v
    c = Consumer(conf)
    c.list_topics(args.topic, timeout=10)
    records = 0
    nbytes = 0
    errors = []
    start = time.perf_counter()
    deadline = start + args.seconds
    c.assign([TopicPartition(args.topic, 0, OFFSET_BEGINNING)])
    last = start
    while records < args.records and time.perf_counter() < deadline:
        msgs = c.consume(num_messages=10000, timeout=0.2)
        if not msgs:
            continue
        err = msgs[-1].error()
        if err is not None:
            errors.append(str(err))
            break
        records += len(msgs)
        nbytes += sum(map(len, msgs))
        last = time.perf_counter()
    c.close()
    print(json.dumps({'records': records, 'bytes': nbytes, 'seconds': last - start, 'errors': errors}))


if __name__ == '__main__':
    main()
