// The seed article's Express examples as real servers (Express 4 and the `cors`
// package, as pinned in package.json), one per port:
//
//   node express-servers.js   (env: PORTS='{"name":port,…}', PAGE_ORIGIN, PAGE_FILE)
//
// Each app is the article's code; `db.create` echoes the body, and the first app
// also serves the test page at /__page (the harness, for the same-origin case).
// Prints "ready" once every app listens.
'use strict';

const fs = require('fs');
const express = require('express');
const cors = require('cors');

const db = { create: async (body) => ({ id: 1, ...body }) };
const ports = JSON.parse(process.env.PORTS);
const page = process.env.PAGE_ORIGIN;

// "Express app missing CORS headers entirely": ❌ Wrong.
function missingCors() {
  const app = express();

  app.use(express.json());

  app.post('/api/users', async (req, res) => {
    const user = await db.create(req.body);
    res.json(user);
  });

  // Harness only: the test page, for a page on this very origin.
  app.get('/__page', (req, res) => res.type('html').send(fs.readFileSync(process.env.PAGE_FILE)));
  return app;
}

// "Express app missing CORS headers entirely": ✅ Fixed, with ALLOWED_ORIGIN as given.
function fixedCors(allowedOrigin) {
  const app = express();

  const corsOptions = {
    origin: allowedOrigin,
    methods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-Requested-With'],
    credentials: true,
    maxAge: 600
  };

  app.use(cors(corsOptions));
  app.options('*', cors(corsOptions));
  app.use(express.json());

  app.post('/api/users', async (req, res) => {
    const user = await db.create(req.body);
    res.json(user);
  });
  return app;
}

// "Wildcard origin blocking credentialed requests": ❌ Wrong (the response headers
// the article shows, on its /profile endpoint).
function wildcard() {
  const app = express();
  app.use((req, res, next) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    next();
  });
  app.get('/profile', (req, res) => res.json({ user: 'ada' }));
  return app;
}

// "Wildcard origin blocking credentialed requests": ✅ Fixed, with ALLOWED_ORIGINS as given.
function reflecting(allowed) {
  const app = express();
  app.use((req, res, next) => {
    const origin = req.headers.origin;
    const allowedOrigins = (allowed || '').split(',');
    if (allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,DELETE,OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type,Authorization');
    if (req.method === 'OPTIONS') return res.sendStatus(204);
    next();
  });
  app.get('/profile', (req, res) => res.json({ user: 'ada' }));
  return app;
}

const apps = {
  missing: () => missingCors(),
  fixed: () => fixedCors(page),
  // ALLOWED_ORIGIN unset where the server runs.
  fixed_unset: () => fixedCors(undefined),
  wildcard: () => wildcard(),
  reflecting: () => reflecting(page),
  // ALLOWED_ORIGINS unset where the server runs.
  reflecting_unset: () => reflecting(undefined),
};

let waiting = Object.keys(ports).length;
for (const [name, port] of Object.entries(ports)) {
  apps[name]().listen(port, '127.0.0.1', () => {
    waiting -= 1;
    if (waiting === 0) console.log('ready');
  });
}
