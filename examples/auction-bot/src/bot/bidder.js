const pool = require('../db');
const { bidsPlaced } = require('../metrics');

const INCREMENT_CENTS = 100;

// Proxy bidding: when a user is outbid, bid again for them up to their max.
async function respondToBid(io, auctionId, amountCents) {
  const { rows } = await pool.query(
    `SELECT DISTINCT ON (user_id) user_id, max_cents FROM bids
      WHERE auction_id = $1 AND max_cents IS NOT NULL
      ORDER BY user_id, created_at DESC`,
    [auctionId],
  );
  for (const { user_id: userId, max_cents: maxCents } of rows) {
    const next = amountCents + INCREMENT_CENTS;
    if (next > maxCents) continue;
    await pool.query(
      'INSERT INTO bids (auction_id, user_id, amount_cents, max_cents) VALUES ($1, $2, $3, $4)',
      [auctionId, userId, next, maxCents],
    );
    bidsPlaced.inc({ source: 'bot' });
    console.log(`bot bid ${next} for ${userId} on auction ${auctionId}`);
    io.to(`auction:${auctionId}`).emit('bid:placed', { auctionId, amountCents: next });
    return;
  }
}

module.exports = { respondToBid };
