// Prometheus metrics of the apiserver, named as kube-apiserver names them.
import client from 'prom-client';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

export const requestsTotal = new client.Counter({
  name: 'apiserver_request_total',
  help: 'Counter of apiserver requests broken out by verb, resource and HTTP response code.',
  labelNames: ['verb', 'resource', 'code'],
  registers: [registry],
});

export const requestDuration = new client.Histogram({
  name: 'apiserver_request_duration_seconds',
  help: 'Response latency distribution in seconds for each verb and resource.',
  labelNames: ['verb', 'resource'],
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

export const watchersGauge = new client.Gauge({
  name: 'apiserver_registered_watchers',
  help: 'Number of currently open watches.',
  registers: [registry],
});

export const storageObjects = new client.Gauge({
  name: 'apiserver_storage_objects',
  help: 'Number of stored objects at the time of last check.',
  registers: [registry],
});
