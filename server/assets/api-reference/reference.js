// Draws the reference from the document the server generates; nothing is fetched from elsewhere.
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#reference",
  deepLinking: true,
  tryItOutEnabled: false,
});
