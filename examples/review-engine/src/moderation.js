const { db } = require('./firebase');

const BLOCKLIST = [/https?:\/\//i, /\b(viagra|casino)\b/i];

// Runs every minute: publishes pending reviews that pass the automatic checks.
async function moderatePending() {
  const pending = await db.collection('reviews').where('status', '==', 'pending').limit(100).get();
  for (const doc of pending.docs) {
    const { text } = doc.data();
    const flagged = BLOCKLIST.some((re) => re.test(text));
    await doc.ref.update({ status: flagged ? 'flagged' : 'published' });
    console.log(`moderated review ${doc.id}: ${flagged ? 'flagged' : 'published'}`);
  }
}

function startModeration(intervalMs = 60000) {
  return setInterval(() => {
    moderatePending().catch((err) => console.error('moderation failed', err));
  }, intervalMs);
}

module.exports = { moderatePending, startModeration };
