const Sentry = require('@sentry/node');
const express = require('express');
const helmet = require('helmet');
const rateLimit = require('express-rate-limit');
const logger = require('./logger');
const { db } = require('./firebase');
const redis = require('./redis');
const reviews = require('./routes/reviews');
const stripeWebhook = require('./routes/stripe-webhook');
const { startModeration } = require('./moderation');

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  environment: process.env.NODE_ENV,
  tracesSampleRate: 0.1,
});

const app = express();
app.set('trust proxy', 1);
app.use(Sentry.Handlers.requestHandler());
app.use(helmet());

app.get('/healthz', (req, res) => res.send('ok'));
app.get('/readyz', async (req, res) => {
  try {
    await Promise.all([redis.ping(), db.listCollections()]);
    res.send('ready');
  } catch (err) {
    res.status(503).send('not ready');
  }
});

app.use('/webhooks', stripeWebhook);
app.use('/v1', rateLimit({ windowMs: 60 * 1000, limit: 120, standardHeaders: 'draft-7' }), reviews);

app.use(Sentry.Handlers.errorHandler());
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  logger.error('request failed', { error: err.message, path: req.path });
  res.status(500).json({ error: 'internal error' });
});

const port = Number(process.env.PORT || 8080);
const server = app.listen(port, () => logger.info('listening', { port }));
const moderation = startModeration();

process.on('unhandledRejection', (reason) => {
  logger.error('unhandled rejection', { reason: String(reason) });
  Sentry.captureException(reason);
});

process.on('SIGTERM', () => {
  logger.info('SIGTERM received, draining');
  clearInterval(moderation);
  server.close(async () => {
    await Promise.allSettled([redis.quit(), Sentry.close(2000)]);
    process.exit(0);
  });
  setTimeout(() => process.exit(1), 25000).unref();
});

module.exports = app;
