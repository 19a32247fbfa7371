/* global document */
/** Fills the hidden time-zone field; without JavaScript the course default applies. */
document.addEventListener("DOMContentLoaded", function () {
  var field = document.querySelector('input[name="timezone"]');
  try {
    if (field) field.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch {
    // A browser that cannot name its zone: the field stays empty and the course default applies.
  }
});
