// A small OpenID provider for the forum's tests and for `make run-sso`, built on the
// certified npm package oidc-provider (version 9). It listens on 127.0.0.1 only.
//
//   node tests/oidc_provider/server.mjs --port 0 \
//     --redirect-uri http://127.0.0.1:8000/sign-in/test-basic/callback \
//     --post-logout-redirect-uri http://127.0.0.1:8000/signed-out \
//     --client-key var/sso-client-key.pem
//
// When it is ready it prints one line to standard output:
//   oidc-provider ready at http://127.0.0.1:PORT
//
// Clients: "forum-basic" (client_secret_basic) and "forum-jwt" (private_key_jwt, whose
// RSA key is read from --client-key, or generated and written there). Both must use
// PKCE (S256), and ID tokens are signed with RS256.
//
// Sign-in needs no person: an authorization request with login_hint=<account id> signs
// that account in at once. Without a hint, a plain HTML form lists the accounts.
//
// Accounts come from accounts.json. An account's "tamper" value makes this provider
// misbehave on purpose so the tests can prove the forum refuses it (see tamperIdToken).
// The /test-control/ endpoints let a test rotate the signing key and read counters.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASIC_CLIENT_ID = 'forum-basic';
const BASIC_CLIENT_SECRET = 'forum-basic-secret-for-local-tests-only';
const JWT_CLIENT_ID = 'forum-jwt';
const CUSTOM_CLAIM = 'https://vocab.forum.test/v1/displayName';

const { values: options } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'post-logout-redirect-uri': { type: 'string', multiple: true, default: [] },
    'client-key': { type: 'string' },
    accounts: { type: 'string', default: path.join(HERE, 'accounts.json') },
  },
});

if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
  console.error('This test provider listens only on a loopback address.');
  process.exit(2);
}
if (!options['client-key']) {
  console.error('--client-key FILE is required: the forum-jwt client key is read from it or written to it.');
  process.exit(2);
}

const accounts = JSON.parse(fs.readFileSync(options.accounts, 'utf8'));

// RFC 7638 thumbprint, the default key id the forum gives its private_key_jwt key.
function thumbprint(jwk) {
  const members = jwk.kty === 'RSA' ? { e: jwk.e, kty: jwk.kty, n: jwk.n } : { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y };
  return crypto.createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

function newSigningKey(kid) {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

function publicJwk(key) {
  const { kty, n, e, kid, alg, use } = key.jwk;
  return { kty, n, e, kid, alg, use };
}

function loadClientKey(file) {
  let privateKey;
  if (fs.existsSync(file)) {
    privateKey = crypto.createPrivateKey(fs.readFileSync(file));
  } else {
    ({ privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    fs.writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  }
  const { kty, n, e } = crypto.createPublicKey(privateKey).export({ format: 'jwk' });
  const jwk = { kty, n, e };
  return { ...jwk, kid: thumbprint(jwk), alg: 'RS256', use: 'sig' };
}

// The provider signs with currentKey. nextKey is published only after a test requests a
// rotation, and outsiderKey is never published.
const currentKey = newSigningKey('test-key-1');
const nextKey = newSigningKey('test-key-2');
const outsiderKey = newSigningKey('outsider-key');
const clientJwk = loadClientKey(options['client-key']);

const control = { rotated: false, jwksRequests: 0, lastAuthorization: null, issuedIdTokens: new Map() };

function base64urlJson(value) {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function signJwt(header, payload, { key = null, hmacSecret = null } = {}) {
  const input = `${base64urlJson(header)}.${base64urlJson(payload)}`;
  if (header.alg === 'none') {
    return `${input}.`;
  }
  if (hmacSecret) {
    return `${input}.${crypto.createHmac('sha256', hmacSecret).update(input).digest('base64url')}`;
  }
  return `${input}.${crypto.sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function decodePayload(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

// Return the ID token this account's tamper mode requests, made from the real one.
function tamperIdToken(idToken, mode, issuer) {
  const payload = decodePayload(idToken);
  const audience = Array.isArray(payload.aud) ? payload.aud[0] : payload.aud;
  const signed = (changes, signing = {}) => signJwt(
    { alg: 'RS256', typ: 'JWT', kid: currentKey.kid, ...(signing.header || {}) },
    { ...payload, ...changes },
    { key: signing.key || currentKey, hmacSecret: signing.hmacSecret },
  );

  switch (mode) {
    case 'wrong-audience':
      // A genuine-looking token that the provider issued to the other client.
      return signed({ aud: audience === BASIC_CLIENT_ID ? JWT_CLIENT_ID : BASIC_CLIENT_ID, azp: undefined });
    case 'replay-id-token': {
      // The first token issued to this account and client, sent again on every later sign-in.
      const key = `${payload.sub}|${audience}`;
      if (!control.issuedIdTokens.has(key)) {
        control.issuedIdTokens.set(key, idToken);
      }
      return control.issuedIdTokens.get(key);
    }
    case 'unknown-key':
      return signed({}, { key: outsiderKey, header: { kid: outsiderKey.kid } });
    case 'forged-signature':
      return signed({}, { key: outsiderKey });
    case 'hs256':
      return signed({}, { header: { alg: 'HS256' }, hmacSecret: BASIC_CLIENT_SECRET });
    case 'alg-none':
      return signed({}, { header: { alg: 'none', kid: undefined } });
    case 'rotated-key':
      return signed({}, { key: nextKey, header: { kid: nextKey.kid } });
    case 'expired':
      return signed({ exp: Math.floor(Date.now() / 1000) - 600 });
    case 'wrong-issuer':
      return signed({ iss: `${issuer}/elsewhere` });
    default:
      return idToken;
  }
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 10_000) {
        reject(new Error('form too large'));
      }
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`
    + `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function accountChooser(uid, clientId) {
  const choices = Object.entries(accounts)
    .filter(([, account]) => !account.hidden)
    .map(([id, account]) => `<li><button type="submit" name="account" value="${escapeHtml(id)}">Sign in as ${escapeHtml(account.label || id)}</button></li>`)
    .join('');
  return page(
    'Test identity provider',
    `<p>This is the forum's local test provider. Choose an account to sign in to ${escapeHtml(clientId)}; there is no password.</p>`
      + `<form method="post" action="/interaction/${escapeHtml(uid)}/login"><ul>${choices}</ul></form>`
      + `<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Cancel</button></form>`,
  );
}

async function finishInteraction(ctx, provider, result) {
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
}

// Login without a person: the login_hint names the account, or the form posts it.
async function handleInteraction(ctx, provider) {
  const [, , uid, action] = ctx.path.split('/');
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== uid) {
    ctx.throw(400, 'interaction mismatch');
  }

  if (ctx.method === 'GET') {
    const hint = details.params.login_hint;
    if (hint && Object.hasOwn(accounts, hint)) {
      return finishInteraction(ctx, provider, { login: { accountId: hint } });
    }
    ctx.type = 'html';
    ctx.body = accountChooser(uid, details.params.client_id);
    return undefined;
  }

  if (ctx.method === 'POST' && action === 'login') {
    const form = await readForm(ctx.req);
    const accountId = form.get('account');
    if (!Object.hasOwn(accounts, accountId || '')) {
      ctx.throw(400, 'unknown account');
    }
    return finishInteraction(ctx, provider, { login: { accountId } });
  }
  if (ctx.method === 'POST' && action === 'abort') {
    return finishInteraction(ctx, provider, { error: 'access_denied', error_description: 'The person cancelled the sign-in.' });
  }
  ctx.throw(404);
  return undefined;
}

async function handleControl(ctx) {
  const action = ctx.path.slice('/test-control/'.length);
  if (ctx.method === 'POST' && action === 'rotate') {
    control.rotated = true;
  } else if (ctx.method === 'POST' && action === 'reset') {
    control.rotated = false;
    control.jwksRequests = 0;
    control.issuedIdTokens.clear();
  } else if (!(ctx.method === 'GET' && action === 'state')) {
    ctx.throw(404);
  }
  ctx.body = {
    rotated: control.rotated,
    jwks_requests: control.jwksRequests,
    last_authorization: control.lastAuthorization,
  };
}

const server = http.createServer();
server.listen(Number(options.port), options.host, () => {
  const { port } = server.address();
  const issuer = `http://${options.host}:${port}`;
  const redirectUris = options['redirect-uri'];
  const postLogoutRedirectUris = options['post-logout-redirect-uri'];

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: BASIC_CLIENT_ID,
        client_secret: BASIC_CLIENT_SECRET,
        client_name: 'Forum (client secret)',
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
        id_token_signed_response_alg: 'RS256',
      },
      {
        client_id: JWT_CLIENT_ID,
        client_name: 'Forum (private key)',
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'RS256',
        jwks: { keys: [clientJwk] },
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [currentKey.jwk] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username'],
      [CUSTOM_CLAIM]: null,
    },
    extraParams: ['vtr'],
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out of the test provider', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out of the test provider', '<p>You have signed out.</p>');
        },
      },
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: (ctx, code) => accounts[code.accountId]?.code_ttl_seconds ?? 60,
      IdToken: 600,
      Grant: 600,
      Interaction: 600,
      Session: 3600,
    },
    async findAccount(ctx, sub) {
      const account = accounts[sub];
      if (!account) {
        return undefined;
      }
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
    // Every client is first-party, so the consent screen is skipped. The grant covers
    // every scope and claim the authorization request names.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Test provider error', `<p>${escapeHtml(out.error)}: ${escapeHtml(out.error_description || '')}</p>`);
    },
  });

  provider.use(async (ctx, next) => {
    if (ctx.path.startsWith('/interaction/')) {
      return handleInteraction(ctx, provider);
    }
    if (ctx.path.startsWith('/test-control/')) {
      return handleControl(ctx);
    }
    if (ctx.path === '/auth') {
      control.lastAuthorization = Object.fromEntries(new URLSearchParams(ctx.querystring));
    }

    await next();

    if (ctx.path === '/jwks') {
      control.jwksRequests += 1;
      if (control.rotated) {
        ctx.body = { keys: [...ctx.body.keys, publicJwk(nextKey)] };
      }
    }
    if (ctx.path === '/token' && ctx.status === 200 && ctx.body?.id_token) {
      const { sub } = decodePayload(ctx.body.id_token);
      const mode = accounts[sub]?.tamper;
      if (mode) {
        ctx.body = { ...ctx.body, id_token: tamperIdToken(ctx.body.id_token, mode, issuer) };
      }
    }
    if (ctx.path === '/me' && ctx.status === 200 && ctx.body?.sub) {
      if (accounts[ctx.body.sub]?.tamper === 'userinfo-other-sub') {
        ctx.body = { ...ctx.body, sub: 'someone-else' };
      }
    }
    return undefined;
  });

  server.on('request', provider.callback());
  console.log(`oidc-provider ready at ${issuer}`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
