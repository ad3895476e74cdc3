/*
 * The emulator's additions to localstripe's fake Stripe.js (served together at
 * /js.stripe.com/v3/ by app.devtools.stripe_emulator.stripejs).
 *
 * - confirmCardPayment(clientSecret, {payment_method: {card: element}}) confirms the
 *   PaymentIntent with the card typed into the Element, as Stripe.js does, then runs the 3-D
 *   Secure dialog when the PaymentIntent requires_action; it resolves to {paymentIntent} or
 *   {error} (card_error on a decline, payment_intent_authentication_failure when 3-D Secure
 *   is failed).
 * - retrievePaymentIntent(clientSecret) resolves to {paymentIntent}.
 * - the card Element's inputs get labels, and a line naming the emulator's test cards.
 */
(function () {
  'use strict';
  const localStripe = window.Stripe;
  const API = LOCALSTRIPE_BASE_API;  // set by localstripe from this script's own URL
  const TEST_CARDS = 'Emulator test cards: 4242 4242 4242 4242 succeeds; ' +
    '4000 0025 0000 3155 asks for 3-D Secure; 4000 0000 0000 9995 is declined. ' +
    'Any future expiry (MM, YY) and any 3-digit CVC.';
  const LABELS = {
    number: 'Card number', exp_month: 'Expiry month (MM)', exp_year: 'Expiry year (YY)',
    cvc: 'CVC', postal_code: 'Postal code',
  };
  const AUTH_FAILED = 'We are unable to authenticate your payment method. Please choose a ' +
    'different payment method and try again.';

  const mount = Element.prototype.mount;  // localstripe's fake card Element
  Element.prototype.mount = function (domElement) {
    mount.call(this, domElement);
    Object.keys(this._inputs || {}).forEach(name => {
      const input = this._inputs[name];
      input.setAttribute('aria-label', LABELS[name] || name);
      input.setAttribute('inputmode', 'numeric');
      input.setAttribute('autocomplete', 'off');
      input.dataset.stripeField = name;
    });
    // localstripe jumps to the expiry after 16 characters, spaces included, so a number typed
    // in groups of four, as printed, lost its last digits; jump after 16 digits instead.
    const number = this._inputs && this._inputs.number;
    if (number) {
      const changed = number.oninput;
      number.oninput = (event) => {
        const digits = number.value.replace(/\D/g, '').length;
        changed(digits >= 16 ? event : {target: null});
      };
    }
    const hint = document.createElement('small');
    hint.className = 'stripe-test-cards';
    hint.textContent = TEST_CARDS;
    this._domChildren.push(hint);
    this._domChildren[0].parentElement.appendChild(hint);
  };

  function flatten(value, prefix, out) {
    if (value === null || value === undefined) return out;
    if (typeof value === 'object') {
      Object.keys(value).forEach(key => {
        flatten(value[key], prefix ? `${prefix}[${key}]` : key, out);
      });
    } else {
      out.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(value)}`);
    }
    return out;
  }

  async function call(method, path, params) {
    const query = flatten(params, '', []).join('&');
    const init = method === 'GET' ? {method} : {
      method,
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: query,
    };
    const url = `${API}${path}` + (method === 'GET' ? `?${query}` : '');
    try {
      const response = await fetch(url, init);
      const body = await response.json().catch(() => ({}));
      if (!response.ok || body.error) {
        return {error: body.error || {type: 'api_error', message: `HTTP ${response.status}`}};
      }
      return {body};
    } catch (err) {
      return {error: {type: 'api_connection_error', message: 'Could not reach Stripe.'}};
    }
  }

  function intentId(clientSecret) {
    const match = typeof clientSecret === 'string' && clientSecret.match(/^(pi_\w+?)_secret_/);
    if (!match) throw new Error('IntegrationError: Invalid value for clientSecret.');
    return match[1];
  }

  function methodParams(data) {
    const method = data && data.payment_method;
    if (typeof method === 'string') return {payment_method: method};
    if (method && method.card && method.card._inputs !== undefined) {
      const inputs = method.card._inputs;
      if (!inputs) return null;
      const card = {
        number: inputs.number.value.replace(/\s+/g, ''),
        exp_month: inputs.exp_month.value.trim(),
        exp_year: inputs.exp_year.value.trim(),
        cvc: inputs.cvc.value.trim(),
      };
      return {payment_method_data: {type: 'card', card}};
    }
    return {};
  }

  // Confirm the intent at `path` (/v1/payment_intents/<id> or /v1/setup_intents/<id>) with the
  // card typed into the Element, then run 3-D Secure in localstripe's dialog when asked and
  // `authenticate`; `failed(intent)` says whether the authentication left it unusable, and the
  // error then carries it under `kind` with code `${kind}_authentication_failure`.
  // Resolves to {intent} or {error}.
  async function confirmWithCard(key, path, clientSecret, data, authenticate, kind, failed) {
    const method = methodParams(data);
    if (method === null) {
      return {error: {type: 'validation_error', code: 'incomplete_number',
                      message: 'Your card number is incomplete.'}};
    }
    const confirmed = await call('POST', `${path}/confirm`,
                                 {key, client_secret: clientSecret, ...method});
    if (confirmed.error) return {error: confirmed.error};
    let intent = confirmed.body;
    if (intent.status === 'requires_action' && authenticate) {
      const passed = await openModal(  // localstripe's 3-D Secure dialog
        '3D Secure\nDo you want to confirm or cancel?',
        'Complete authentication', 'Fail authentication');
      const authenticated = await call(
        'POST', `${path}/_authenticate`,
        {key, client_secret: clientSecret, success: passed ? 'true' : 'false'});
      if (authenticated.error) return {error: authenticated.error};
      intent = authenticated.body;
      if (failed(intent)) {
        return {error: {type: 'invalid_request_error', code: `${kind}_authentication_failure`,
                        message: AUTH_FAILED, [kind]: intent}};
      }
    }
    return {intent};
  }

  window.Stripe = function (key, options) {
    if (typeof key !== 'string' || !key.startsWith('pk_')) {
      throw new Error('IntegrationError: Invalid API Key provided: ' + key);
    }
    const stripe = localStripe(key, options);

    stripe.confirmCardPayment = async (clientSecret, data, options) => {
      const id = intentId(clientSecret);
      const result = await confirmWithCard(
        key, `/v1/payment_intents/${id}`, clientSecret, data,
        !(options && options.handleActions === false), 'payment_intent',
        (intent) => intent.status === 'requires_payment_method');
      return result.error ? {error: result.error} : {paymentIntent: result.intent};
    };

    // confirmCardSetup(clientSecret, {payment_method: {card: element}}): saves the card for
    // later (SetupIntent), 3-D Secure included; resolves to {setupIntent} or {error}.
    stripe.confirmCardSetup = async (clientSecret, data) => {
      const match = typeof clientSecret === 'string' && clientSecret.match(/^(seti_\w+?)_secret_/);
      if (!match) throw new Error('IntegrationError: Invalid value for clientSecret.');
      const result = await confirmWithCard(
        key, `/v1/setup_intents/${match[1]}`, clientSecret, data, true, 'setup_intent',
        (intent) => intent.status !== 'succeeded');
      return result.error ? {error: result.error} : {setupIntent: result.intent};
    };

    stripe.retrievePaymentIntent = async (clientSecret) => {
      const id = intentId(clientSecret);
      const found = await call('GET', `/v1/payment_intents/${id}`,
                               {key, client_secret: clientSecret});
      return found.error ? {error: found.error} : {paymentIntent: found.body};
    };
    return stripe;
  };
})();
