#!/usr/bin/python3
"""Produce throughput with librdkafka (confluent-kafka-python), for tools/bench/src/broker-bench.ts.

Produces fixed-size records (null key, no compression, librdkafka's default batching: linger.ms=5,
batch.size=1000000) for about --seconds, then flushes, and prints one JSON line: records, payload bytes,
elapsed seconds (first produce() to the end of flush(), so every record is acknowledged), errors, and the
Produce requests librdkafka sent (from its statistics) so the ceiling can use equally sized frames.

  /usr/bin/python3 tools/bench/python/produce_throughput.py --bootstrap 127.0.0.1:9092 --topic t \
      --size 1024 --acks all --seconds 3
"""
import argparse
import json
import os
import time

from confluent_kafka import Producer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bootstrap', required=True)
    ap.add_argument('--topic', required=True)
    ap.add_argument('--size', type=int, required=True)
    ap.add_argument('--acks', default='1')
    ap.add_argument('--seconds', type=float, default=3.0)
    ap.add_argument('--linger-ms', type=float, default=5.0)
    args = ap.parse_args()

    errors = []
    stats = {}

    def on_error(err, msg):
        if err is not None and len(errors) < 5:
            errors.append(str(err))
        elif err is not None:
            errors.append(None)

    def on_stats(text):
        stats['last'] = text

    p = Producer({
        'bootstrap.servers': args.bootstrap,
        'acks': args.acks,
        'linger.ms': args.linger_ms,
        'compression.type': 'none',
        'delivery.report.only.error': True,
        'on_delivery': on_error,
        'statistics.interval.ms': 200,
        'stats_cb': on_stats,
    })
    # Metadata and the connection first, so the timed part is the steady state.
    p.list_topics(args.topic, timeout=10)
    value = os.urandom(args.size)
    topic = args.topic
    produce = p.produce
    records = 0
    start = time.perf_counter()
    deadline = start + args.seconds
    while True:
        for _ in range(1000):
            while True:
                try:
                    produce(topic, value)
                    break
                except BufferError:  # the local queue is full: wait for deliveries
                    p.poll(0.0005)
        records += 1000
        p.poll(0)
        if time.perf_counter() >= deadline:
            break
    left = p.flush(30)
    elapsed = time.perf_counter() - start
    # one more statistics report after the last request
    stats.pop('last', None)
    t_end = time.perf_counter() + 1.0
    while 'last' not in stats and time.perf_counter() < t_end:
        p.poll(0.05)
    produce_requests = None
    produce_bytes = None
    if 'last' in stats:
        s = json.loads(stats['last'])
        for b in s.get('brokers', {}).values():
            if b.get('nodeid', -1) >= 0:
                produce_requests = (produce_requests or 0) + b.get('req', {}).get('Produce', 0)
                produce_bytes = (produce_bytes or 0) + b.get('txbytes', 0)
    print(json.dumps({
        'records': records,
        'bytes': records * args.size,
        'seconds': elapsed,
        'unflushed': left,
        'errors': len(errors),
        'firstErrors': [e for e in errors if e][:3],
        'produceRequests': produce_requests,
        'txBytes': produce_bytes,
    }))


if __name__ == '__main__':
    main()
