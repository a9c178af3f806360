/*
 * browser.js - tests/proc/browser.sh's browser half (issue [browser]):
 * Debian's Chromium, driven by playwright-core over its own pipe, is the
 * person at the teaching demo. It
 *  1. opens the live ladder of `imstb up` and selects Figure
 *     6.X.2.1.2.1-1 (token introspected at the WWS) with the keyboard;
 *  2. opens the WWS page, checks its MD5 against RFC 1321 A.5, logs in as
 *     alice with her Web ID (Enter submits) and waits for "Registered";
 *  3. reads the ladder's DOM: steps 1 to 12 of the figure, in order; a
 *     click on step 5 shows the whole REGISTER with its Bearer token;
 *  4. de-registers;
 *  5. Figure 6.X.2.1.2.2-1 with IMS credentials: the 401 forwarded (the
 *     page answers it with its MD5 Digest: steps 1-14) and terminated at
 *     the WSF (the page hands its credential over: steps 1-14);
 *  6. when the enterprise WWS runs: selects 6.X.2.1.3.3-1, logs in as
 *     carol on the enterprise page and checks steps 1-3 to 8 in order;
 *  7. keeps screenshots (PNG) in WORK and prints their paths.
 * In each figure, no step the ladder matched differs from the scenario's
 * checks and no forbidden message came (the steps table says so).
 * Every wait is bounded. Exit 0 when all holds, 1 otherwise.
 *
 * Environment: HUB_URL, WWS_URL, ENT_URL (empty: no enterprise WWS),
 * WORK (a fresh directory: the profile and the artefacts), CHROMIUM.
 */
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const HUB = process.env.HUB_URL, WWS = process.env.WWS_URL;
const ENT = process.env.ENT_URL || '', WORK = process.env.WORK;
const T = 20000; /* one wait */

/* RFC 1321 A.5 */
const MD5_VECTORS = [
	['', 'd41d8cd98f00b204e9800998ecf8427e'],
	['a', '0cc175b9c0f1b6a831c399e269772661'],
	['abc', '900150983cd24fb0d6963f7d28e17f72'],
	['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
	['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
	['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
		'd174ab98d277d9f5a5611c2c9f419d9f'],
	['1234567890123456789012345678901234567890123456789012345678901234' +
		'5678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
];

function ok(msg) { console.log('ok: ' + msg); }
function fail(msg) { throw new Error(msg); }

/* Selects a figure on the ladder page with the keyboard and waits until
 * the hub has applied it (the nodes restarted). */
async function selectFigure(hub, file) {
	const value = await hub.$eval('#fig', (s, f) => {
		const o = Array.from(s.options).find((x) =>
			x.value.endsWith(f));
		return o ? o.value : null;
	}, file);
	if (!value)
		fail('the ladder does not offer ' + file);
	await hub.focus('#fig');
	await hub.selectOption('#fig', value);
	await hub.keyboard.press('Enter'); /* the page's Enter = Apply */
	/* the button comes back when the POST is answered */
	await hub.waitForFunction(() => !document.getElementById('apply')
		.disabled && /restarted|nothing to restart|not applied/
		.test(document.getElementById('status').textContent),
	null, { timeout: 60000 });
	const st = await hub.textContent('#status');
	if (/failed|not applied/.test(st))
		fail('selecting ' + file + ': ' + st);
	await hub.waitForFunction((v) => document.getElementById('title')
		.textContent.length > 0 && document.getElementById('fig')
		.value === v, value, { timeout: T });
	ok('ladder: selected ' + value + ' (' + st + ')');
}

/* The step labels of the ladder's arrows, top to bottom. */
async function ladderSteps(hub) {
	return hub.$$eval('#svg g.ev', (gs) =>
		gs.map((g) => g.getAttribute('data-step')));
}

/* Waits until the labels contain want in order (first occurrences). */
async function waitSteps(hub, want, what) {
	const end = Date.now() + T;
	let got = [];
	for (;;) {
		got = await ladderSteps(hub);
		const idx = want.map((w) => got.indexOf(w));
		if (idx.every((v, i) => v >= 0 && (i === 0 || v > idx[i - 1])))
			break;
		if (Date.now() > end)
			fail(what + ': the ladder shows steps [' +
				got.filter((s) => s).join(' ') +
				'], not ' + want.join(' ') + ' in order');
		await new Promise((r) => setTimeout(r, 200));
	}
	ok(what + ': the ladder shows steps ' + want.join(', ') +
		' in order (' + got.length + ' arrows)');
	return got;
}

/* Rows of the steps table whose message was found but differs, or a
 * forbidden message seen. */
async function noneDiffers(hub, what) {
	const bad = await hub.$$eval('#steps tr[data-verdict=bad]', (rows) =>
		rows.map((r) => r.textContent.replace(/\s+/g, ' ')));
	if (bad.length)
		fail(what + ': steps differ from the scenario: ' +
			bad.join('; '));
}

async function login(page, id, password) {
	await page.waitForFunction(() => document.getElementById('where')
		.textContent.includes('WWS'), null, { timeout: T });
	await page.fill('#id', id);
	await page.fill('#password', password);
	await page.focus('#password');
	await page.keyboard.press('Enter'); /* Enter submits */
	await page.waitForFunction(() => /^(Registered|.*failed)/.test(
		document.getElementById('outcome').textContent), null,
	{ timeout: T });
	const outcome = await page.textContent('#outcome');
	if (!outcome.startsWith('Registered'))
		fail(id + ': ' + outcome);
	return outcome;
}

async function shot(page, name) {
	const p = path.join(WORK, name);
	await page.screenshot({ path: p, fullPage: true });
	console.log('screenshot: ' + p);
}

/* Figure 6.X.2.1.2.2-1: alice with her IMS credentials, the 401 answered
 * by the page (forward) or by the WSF (terminate). */
async function imsFlow(ctx, hub, errors, variant, terminate) {
	const what = '6.X.2.1.2.2-1 (' + variant + ')';
	await hub.bringToFront();
	await selectFigure(hub, 'webrtc/6.X.2.1.2.2-1-ims-credential-' +
		variant + '.scn');
	const page = await ctx.newPage();
	page.on('pageerror', (e) => errors.push(what + ': ' + e.message));
	await page.goto(WWS);
	await page.waitForFunction(() => document.getElementById('where')
		.textContent.includes('WWS'));
	await page.check('input[name=kind][value=ims]');
	if (await page.$eval('#id-label', (e) => e.textContent) !==
	    'IMS identity (IMPU or IMPI)')
		fail(what + ': the IMS choice does not ask for an IMS identity');
	if (terminate)
		await page.check('#terminate');
	const outcome = await login(page, 'sip:alice@ims.example.com',
		'alice-pass');
	ok(what + ': alice "' + outcome + '"');
	await hub.bringToFront();
	const want = [];
	for (let i = 1; i <= 14; i++)
		want.push(String(i));
	await waitSteps(hub, want, what);
	await noneDiffers(hub, what);
	await hub.click('#svg g.ev[data-step="' + (terminate ? '10' : '11') +
		'"] tspan.stp');
	const msg = await hub.textContent('.msg pre');
	if (!/\nAuthorization: Digest [^\n]*response="[0-9a-f]{32}"/.test(msg))
		fail(what + ': the answered REGISTER has no MD5 response: ' +
			msg.slice(0, 300));
	ok(what + ': the answered REGISTER carries an MD5 Digest response');
	if (!terminate)
		await shot(hub, 'ladder-6.X.2.1.2.2-1.png');
	await page.bringToFront();
	await page.click('#dereg');
	await page.waitForFunction(() => /^De-registered|failed/.test(
		document.getElementById('outcome').textContent));
	ok(what + ': ' + await page.textContent('#outcome'));
	await page.close();
}

async function main() {
	const ctx = await chromium.launchPersistentContext(
		path.join(WORK, 'profile'), {
			executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
			headless: true,
			ignoreHTTPSErrors: true,
			viewport: { width: 1280, height: 800 },
			timeout: 60000,
			args: ['--headless', '--no-sandbox', '--disable-gpu',
				'--disable-quic', '--no-first-run',
				'--disable-background-networking',
				'--disable-component-update', '--disable-sync',
				'--ignore-certificate-errors'],
		});
	ctx.setDefaultTimeout(T);
	const errors = [];
	try {
		const hub = await ctx.newPage();
		hub.on('pageerror', (e) => errors.push('ladder: ' + e.message));
		await hub.goto(HUB);
		await hub.waitForFunction(() => document.querySelectorAll(
			'#fig option').length > 1, null, { timeout: T });
		ok('ladder page loaded with ' + await hub.$$eval('#fig option',
			(o) => o.length - 1) + ' scenarios');
		await selectFigure(hub, 'webrtc/6.X.2.1.2.1-1-token-introspect.scn');

		const web = await ctx.newPage();
		web.on('pageerror', (e) => errors.push('client: ' + e.message));
		await web.goto(WWS);
		const bad = await web.evaluate((v) => v.filter(([i, o]) =>
			window.imstb.md5(i) !== o).map(([i]) => i), MD5_VECTORS);
		if (bad.length)
			fail('the page\'s MD5 is wrong for ' + JSON.stringify(bad));
		ok('the page\'s MD5 passes RFC 1321 A.5');
		if (await web.$eval('#id-label', (e) => e.textContent) !==
		    'Web ID')
			fail('the page does not offer the Web ID login first');
		const outcome = await login(web, 'alice@web.example.com',
			'alice-web');
		const impu = await web.textContent('#f-impu');
		const pau = await web.$$eval('#f-pau li', (l) =>
			l.map((x) => x.textContent));
		if (impu !== 'sip:alice@ims.example.com' ||
		    pau[0] !== 'sip:alice@ims.example.com')
			fail('alice: IMPU ' + impu + ', P-Associated-URI ' +
				pau.join(' '));
		ok('alice: "' + outcome + '", P-Associated-URI ' +
			pau.join(', '));

		await hub.bringToFront();
		const want = [];
		for (let i = 1; i <= 12; i++)
			want.push(String(i));
		await waitSteps(hub, want, '6.X.2.1.2.1-1');
		await hub.click('#svg g.ev[data-step="5"] tspan.stp');
		const msg = await hub.textContent('.msg pre');
		if (!/^REGISTER sip:/.test(msg) ||
		    !/\r?\nAuthorization: Bearer [A-Za-z0-9_-]+\./.test(msg))
			fail('step 5 clicked: the panel shows ' + msg.slice(0, 80));
		ok('a click on step 5 shows the REGISTER with its Bearer token');
		await noneDiffers(hub, '6.X.2.1.2.1-1');
		const rows = await hub.$$eval('#steps tr', (r) => r.length);
		if (!rows)
			fail('no steps table');
		await shot(hub, 'ladder-6.X.2.1.2.1-1.png');
		await shot(web, 'client-alice.png');

		await web.bringToFront();
		await web.click('#dereg');
		await web.waitForFunction(() => /^De-registered|failed/.test(
			document.getElementById('outcome').textContent));
		const out = await web.textContent('#outcome');
		if (!out.startsWith('De-registered'))
			fail('alice: ' + out);
		ok('alice: ' + out);

		await imsFlow(ctx, hub, errors, 'forward', false);
		await imsFlow(ctx, hub, errors, 'terminate', true);

		if (ENT) {
			await hub.bringToFront();
			await selectFigure(hub,
				'range/6.X.2.1.3.3-1-client-static.scn');
			const ent = await ctx.newPage();
			ent.on('pageerror', (e) => errors.push('enterprise: ' +
				e.message));
			await ent.goto(ENT);
			await ent.waitForFunction(() => /Enterprise WWS/.test(
				document.getElementById('where').textContent));
			const o2 = await login(ent, 'carol@enterprise.example.org',
				'carol-web');
			const impu2 = await ent.textContent('#f-impu');
			if (!/^sip:\+15551230[0-9]{3}@ims\.example\.com$/.test(
				impu2))
				fail('carol: IMPU ' + impu2 + ' not in the block');
			ok('carol: "' + o2 + '"');
			await hub.bringToFront();
			await waitSteps(hub, ['1-3', '4', '5', '6-7', '8'],
				'6.X.2.1.3.3-1');
			await noneDiffers(hub, '6.X.2.1.3.3-1');
			await shot(hub, 'ladder-6.X.2.1.3.3-1.png');
			await shot(ent, 'client-carol.png');
		} else {
			console.log('note: no enterprise WWS: carol skipped');
		}
		if (errors.length)
			fail('script errors: ' + errors.join('; '));
	} finally {
		await ctx.close();
	}
}

const guard = setTimeout(() => {
	console.error('FAIL: browser test over 240 s');
	process.exit(1);
}, 240000);
main().then(() => {
	clearTimeout(guard);
	console.log('browser: all good');
}, (e) => {
	clearTimeout(guard);
	console.error('FAIL: ' + (e && e.message ? e.message : e));
	process.exitCode = 1;
});
