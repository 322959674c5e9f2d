const admin = require('firebase-admin');

// Credentials come from the service-account file mounted at GOOGLE_APPLICATION_CREDENTIALS.
admin.initializeApp({
  credential: admin.credential.applicationDefault(),
  projectId: process.env.FIREBASE_PROJECT_ID,
});

const db = admin.firestore();

async function verifyIdToken(header) {
  const token = (header || '').replace(/^Bearer /, '');
  if (!token) return null;
  try {
    return await admin.auth().verifyIdToken(token);
  } catch (err) {
    return null;
  }
}

module.exports = { admin, db, verifyIdToken };
