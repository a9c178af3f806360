// register.js - JsSIP, a real WebRTC SIP library, registers and
// de-registers one user through imstb's wsf (tests/proc/jssip_register.sh).
//
// JsSIP's WebSocketInterface wants a browser WebSocket; under node the `ws`
// package stands in for it, with the testbed's self-signed certificate
// accepted and the Origin a browser would send (the WWS page's).
//
// Settings come from the environment:
//   WSF_URL   wss://127.0.0.1:PORT      the wsf's WebSocket
//   ORIGIN    https://127.0.0.1:8443    the page's origin
//   IMPU, IMPI, PASSWORD                the IMS identity and credential
//   EXPIRES   600                       register_expires
//   TOKEN     (optional) a JWT: every request carries it as
//             `Authorization: Bearer <TOKEN>` (RFC 8898; JsSIP's own
//             authorization_jwt setting), no Digest (issue [token])
//   TOKEN_FORM bearer (default) or access_token: TS 24.371's example form
//             `Bearer access_token="<TOKEN>"`
//   TIMEOUT_MS 20000                    bound of the whole run
//   DEBUG     JsSIP:* for JsSIP's own log on stderr
// Prints one line per outcome: `registered`, `unregistered`, or
// `FAIL: why`; exits 0 only after both.
'use strict';

const WS = require('ws');
const JsSIP = require('jssip');

const env = (k, d) => process.env[k] || d;
const origin = env('ORIGIN', 'https://127.0.0.1:8443');

global.WebSocket = class extends WS {
	constructor(url, protocols) {
		super(url, protocols, { rejectUnauthorized: false, origin });
	}
};

if (process.env.DEBUG)
	JsSIP.debug.enable(process.env.DEBUG);
else
	JsSIP.debug.disable();

function fail(why) {
	console.log(`FAIL: ${why}`);
	process.exit(1);
}

const timer = setTimeout(() => fail('timeout'),
	Number(env('TIMEOUT_MS', '20000')));

const config = {
	sockets: [new JsSIP.WebSocketInterface(env('WSF_URL',
		'wss://127.0.0.1:7443'))],
	uri: env('IMPU', 'sip:alice@ims.example.com'),
	authorization_user: env('IMPI', 'alice@ims.example.com'),
	password: env('PASSWORD', 'alice-pass'),
	register: false,
	register_expires: Number(env('EXPIRES', '600')),
	user_agent: 'JsSIP (imstb test)',
	connection_recovery_min_interval: 2,
	connection_recovery_max_interval: 2,
};

// JsSIP puts authorization_jwt, as given, in the Authorization header of
// every request it sends (RequestSender.send), so it is the whole value.
if (process.env.TOKEN) {
	const t = process.env.TOKEN;

	config.authorization_jwt = env('TOKEN_FORM', 'bearer') ===
		'access_token' ? `Bearer access_token="${t}"` : `Bearer ${t}`;
	delete config.password;
}

const ua = new JsSIP.UA(config);

let registered = false;

ua.on('connected', () => ua.register());
ua.on('disconnected', (e) => {
	if (!registered)
		fail(`WebSocket: ${e && e.error ? 'error' : 'closed'}`);
});
ua.on('registrationFailed', (e) =>
	fail(`registration failed: ${e.cause}` +
	     (e.response ? ` (${e.response.status_code})` : '')));
ua.on('registered', (e) => {
	registered = true;
	console.log(`registered ${e.response.status_code}`);
	ua.unregister();
});
ua.on('unregistered', (e) => {
	if (!registered)
		return;
	console.log(`unregistered ${e.response ? e.response.status_code : ''}`);
	clearTimeout(timer);
	ua.stop();
	setTimeout(() => process.exit(0), 200);
});

ua.start();
