const client = require('prom-client');

const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry });

const bidsPlaced = new client.Counter({
  name: 'auction_bids_placed_total',
  help: 'Bids accepted, by source',
  labelNames: ['source'],
  registers: [registry],
});

const httpDuration = new client.Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration',
  labelNames: ['method', 'route', 'status'],
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

module.exports = { registry, bidsPlaced, httpDuration };
