// The Nexmo call-tracking tutorial's answer route (Node, Express), the floor issue 17 measures our answer against:
// it keeps each call in memory and answers a connect NCCO. Served on /api/answer so the same wrk script hits both.
//   node bench/node-tutorial-app.js <port>
const express = require('express');
const app = express();
const trackedCalls = {};
app.get('/api/answer', (req, res) => {
  const { from, to } = req.query;
  (trackedCalls[to] = trackedCalls[to] || []).push({ timestamp: Date.now(), from });
  res.json([{ action: 'connect', from: to, endpoint: [{ type: 'phone', number: '447700900999' }] }]);
});
app.listen(Number(process.argv[2]), '127.0.0.1');
