// Starts GraphiQL against the URL the page came from (a file, not an inline script, so the
// page's CSP can forbid those). Headers (e.g. {"Authorization": "Bearer …"}) are typed in the
// headers tab and kept in this browser's local storage, never in the URL.
"use strict";
(function () {
  var url = window.location.href.split("?")[0].split("#")[0];
  var parameters = new URLSearchParams(window.location.search);
  var fetcher = GraphiQL.createFetcher({ url: url });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      query: parameters.get("q") || undefined,
      defaultQuery: "{\n  __typename\n}\n",
      variables: parameters.get("v") || undefined,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    })
  );
})();
