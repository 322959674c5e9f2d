const express = require('express');
const { db, verifyIdToken } = require('../firebase');
const redis = require('../redis');
const logger = require('../logger');

const router = express.Router();
const CACHE_TTL_SECONDS = 300;

router.get('/products/:id/reviews', async (req, res, next) => {
  const key = `reviews:${req.params.id}`;
  try {
    const cached = await redis.get(key).catch(() => null);
    if (cached) return res.type('json').send(cached);
    const snap = await db
      .collection('reviews')
      .where('productId', '==', req.params.id)
      .where('status', '==', 'published')
      .orderBy('createdAt', 'desc')
      .limit(50)
      .get();
    const body = JSON.stringify(snap.docs.map((d) => ({ id: d.id, ...d.data() })));
    await redis.set(key, body, 'EX', CACHE_TTL_SECONDS).catch(() => null);
    return res.type('json').send(body);
  } catch (err) {
    return next(err);
  }
});

router.post('/products/:id/reviews', express.json({ limit: '16kb' }), async (req, res, next) => {
  const user = await verifyIdToken(req.get('authorization'));
  if (!user) return res.status(401).json({ error: 'unauthenticated' });
  const { rating, text } = req.body || {};
  if (!Number.isInteger(rating) || rating < 1 || rating > 5 || typeof text !== 'string') {
    return res.status(400).json({ error: 'rating must be 1-5 and text a string' });
  }
  try {
    const ref = await db.collection('reviews').add({
      productId: req.params.id,
      uid: user.uid,
      rating,
      text: text.slice(0, 4000),
      status: 'pending',
      createdAt: new Date(),
    });
    logger.info('review submitted', { reviewId: ref.id, productId: req.params.id });
    await redis.del(`reviews:${req.params.id}`).catch(() => null);
    return res.status(202).json({ id: ref.id, status: 'pending' });
  } catch (err) {
    return next(err);
  }
});

module.exports = router;
