// The deployment's settings, rendered into every page by the server: the CAPTCHA, the countries
// and limits, and the validation rules the server checks the form with.

/** The settings of the page (`<script type="application/json" id="settings">`). */
export const Settings = JSON.parse(document.getElementById('settings').textContent);
