// When a new passkey is registered, go on: to the recovery codes at enrolment, else back to
// the list of factors (the form #passkey-added says which).
document.addEventListener("otp_webauthn.register_complete", () => {
  const next = document.getElementById("passkey-added");
  if (next) next.submit();
});
