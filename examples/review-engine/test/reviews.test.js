jest.mock('../src/firebase', () => ({
  db: { collection: jest.fn(), listCollections: jest.fn() },
  verifyIdToken: jest.fn(async () => null),
}));
jest.mock('../src/redis', () => ({ get: jest.fn(), set: jest.fn(), del: jest.fn(), ping: jest.fn() }));

const request = require('supertest');
const express = require('express');
const reviews = require('../src/routes/reviews');

const app = express().use('/v1', reviews);

test('submitting a review needs a Firebase ID token', async () => {
  const res = await request(app).post('/v1/products/p1/reviews').send({ rating: 5, text: 'ok' });
  expect(res.status).toBe(401);
});
