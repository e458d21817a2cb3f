// Starts Swagger UI on /docs (a file, not an inline script, so the page's CSP can forbid those).
"use strict";
(function () {
  var element = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: element.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // The public validator is another host: never call it.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
})();
