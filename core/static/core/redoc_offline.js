// ReDoc's sidebar footer always loads its maker's logo from a CDN, which the Content-Security-Policy
// refuses (a console error on every visit). Loaded before ReDoc's bundle: that one image gets an
// empty picture instead, however it is set (attribute or property), so the docs page asks no third
// party for anything.
(function () {
  "use strict";
  var CDN = /^https:\/\/cdn\.redoc\.ly\//;
  var EMPTY = "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E";
  var local = function (value) { return CDN.test(String(value)) ? EMPTY : value; };

  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    return setAttribute.call(this, name, this.tagName === "IMG" && name === "src" ? local(value) : value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true, enumerable: src.enumerable, get: src.get,
    set: function (value) { src.set.call(this, local(value)); },
  });
})();
