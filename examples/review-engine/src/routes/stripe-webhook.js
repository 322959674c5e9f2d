const express = require('express');
const Stripe = require('stripe');
const { db } = require('../firebase');
const logger = require('../logger');

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY);
const router = express.Router();

// Stripe signs the raw body: this route must not go through express.json().
router.post('/stripe', express.raw({ type: 'application/json' }), async (req, res) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(
      req.body,
      req.get('stripe-signature'),
      process.env.STRIPE_WEBHOOK_SECRET,
    );
  } catch (err) {
    logger.warn('stripe signature rejected', { error: err.message });
    return res.status(400).send('invalid signature');
  }

  if (event.type === 'checkout.session.completed') {
    const session = event.data.object;
    await db.collection('purchases').doc(session.id).set({
      uid: session.client_reference_id,
      productIds: (session.metadata.productIds || '').split(','),
      paidAt: new Date(event.created * 1000),
    });
    logger.info('verified purchase recorded', { session: session.id });
  }
  return res.json({ received: true });
});

module.exports = router;
