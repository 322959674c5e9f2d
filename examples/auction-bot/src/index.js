const http = require('http');
const express = require('express');
const cors = require('cors');
const session = require('express-session');
const { Server } = require('socket.io');
const { createAdapter } = require('@socket.io/redis-adapter');
const { createClient } = require('redis');
const logger = require('./logger');
const pool = require('./db');
const { registry, httpDuration } = require('./metrics');
const auctionsRouter = require('./api/auctions');
const { respondToBid } = require('./bot/bidder');

const app = express();
const server = http.createServer(app);
const io = new Server(server, { cors: { origin: process.env.ALLOWED_ORIGIN } });

app.use(cors({ origin: '*', credentials: true }));
app.use(
  session({
    secret: process.env.SESSION_SECRET,
    resave: false,
    saveUninitialized: false,
  }),
);
app.use((req, res, next) => {
  const end = httpDuration.startTimer({ method: req.method });
  res.on('finish', () => end({ route: req.route ? req.route.path : 'other', status: res.statusCode }));
  next();
});

app.get('/health', (req, res) => res.json({ status: 'ok' }));
app.get('/metrics', async (req, res) => {
  res.set('Content-Type', registry.contentType);
  res.send(await registry.metrics());
});
app.use('/api', auctionsRouter(io));

io.on('connection', (socket) => {
  socket.on('auction:join', (auctionId) => socket.join(`auction:${auctionId}`));
});

async function main() {
  const pub = createClient({ url: process.env.REDIS_URL });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));

  await sub.subscribe('bids', (message) => {
    const { auctionId, amountCents } = JSON.parse(message);
    respondToBid(io, auctionId, amountCents).catch((err) => logger.error(err, 'bot failed'));
  });

  await pool.query('SELECT 1');
  const port = Number(process.env.PORT || 3000);
  server.listen(port, () => logger.info({ port }, 'auction-bot listening'));
}

main();
