// The card checkout of every purchase page (templates/payments/_checkout.html): Stripe.js
// collects the card and confirms the PaymentIntent the server created, 3-D Secure included;
// declines and failed authentication are shown inline; once paid, the browser goes to the
// return page, which books the purchase (as the webhook would, whichever comes first).
(function () {
  'use strict';
  const form = document.getElementById('checkout');
  if (!form) return;
  const errors = document.getElementById('card-errors');
  const button = document.getElementById('pay-button');
  const show = (message) => { errors.textContent = message || ''; };

  // Back/forward cache: a page restored after paying asks the server again (it redirects).
  window.addEventListener('pageshow', (event) => { if (event.persisted) window.location.reload(); });

  if (typeof window.Stripe !== 'function') {
    show('Card payments need Stripe.js, which could not be loaded. Check your connection and reload the page.');
    return;
  }
  const stripe = window.Stripe(form.dataset.publishableKey);
  // A SetupIntent (seti_...) saves the card for later; a saved PaymentMethod pays without
  // the card field (completing a charge the bank wants authenticated).
  const setup = form.dataset.clientSecret.startsWith('seti_');
  const saved = form.dataset.paymentMethod;
  let card = null;
  if (!saved) {
    card = stripe.elements().create('card');
    card.mount('#card-element');
  }
  button.disabled = false;

  let paying = false;
  const ready = () => { paying = false; button.disabled = false; button.removeAttribute('aria-busy'); };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (paying) return;  // a double click confirms once
    paying = true;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    show('');
    let result;
    try {
      const method = { payment_method: saved || { card } };
      result = setup
        ? await stripe.confirmCardSetup(form.dataset.clientSecret, method)
        : await stripe.confirmCardPayment(form.dataset.clientSecret, method);
    } catch (err) {
      result = { error: { message: 'The payment could not be started. Reload the page and try again.' } };
    }
    if (result.error) {
      if (['payment_intent_unexpected_state', 'setup_intent_unexpected_state'].includes(result.error.code)) {
        // Paid meanwhile (another tab, an earlier click): the return page says what happened.
        window.location.assign(form.dataset.returnUrl);
        return;
      }
      show(result.error.message || 'The payment did not go through.');
      ready();
      return;
    }
    window.location.assign(form.dataset.returnUrl);
  });
})();
