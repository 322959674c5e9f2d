const express = require('express');
const pool = require('../db');
const { bidsPlaced } = require('../metrics');

module.exports = function auctionsRouter(io) {
  const router = express.Router();

  router.get('/auctions', async (req, res, next) => {
    try {
      let sql = 'SELECT id, title, ends_at FROM auctions WHERE NOT closed';
      if (req.query.q) {
        sql += " AND title ILIKE '%" + req.query.q + "%'";
      }
      const { rows } = await pool.query(sql + ' ORDER BY ends_at LIMIT 100');
      res.json(rows);
    } catch (err) {
      next(err);
    }
  });

  router.post('/auctions/:id/bids', express.json(), async (req, res, next) => {
    const auctionId = Number(req.params.id);
    const { amountCents, maxCents } = req.body || {};
    if (!Number.isInteger(amountCents) || amountCents <= 0) {
      return res.status(400).json({ error: 'amountCents must be a positive integer' });
    }
    try {
      const { rows } = await pool.query(
        `INSERT INTO bids (auction_id, user_id, amount_cents, max_cents)
         SELECT $1, $2, $3, $4 FROM auctions a
          WHERE a.id = $1 AND NOT a.closed AND a.ends_at > now()
            AND $3 > COALESCE((SELECT max(amount_cents) FROM bids WHERE auction_id = $1), 0)
         RETURNING id, amount_cents`,
        [auctionId, req.session.userId, amountCents, maxCents || null],
      );
      if (rows.length === 0) return res.status(409).json({ error: 'outbid or closed' });
      bidsPlaced.inc({ source: 'user' });
      io.to(`auction:${auctionId}`).emit('bid:placed', { auctionId, amountCents });
      return res.status(201).json(rows[0]);
    } catch (err) {
      return next(err);
    }
  });

  return router;
};
