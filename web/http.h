#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>

namespace roster::web {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// One request as the HTTP library handed it over, whole: headers, query and a bounded body.
struct Request
{
    QByteArray method; // GET, HEAD, POST, ...
    QByteArray path;   // decoded, without the query
    HeaderList query;  // decoded query arguments
    HeaderList headers;
    HeaderList cookies;
    QByteArray body;
    bool bodyTooLarge = false; // the body was over the limit and was not read
    QHostAddress peer;
    bool tls = false;

    // The first value with that name (header names compare case-insensitively), or null.
    QByteArray header(QByteArrayView name) const;
    QByteArray queryValue(QByteArrayView name) const;
    QByteArray cookie(QByteArrayView name) const;
};

struct Response
{
    int status = 200;
    QByteArray contentType = QByteArrayLiteral("text/html; charset=utf-8");
    QByteArray body;
    HeaderList headers;
};

// application/x-www-form-urlencoded, as browsers send a form.
HeaderList parseFormBody(QByteArrayView body);
QByteArray valueOf(const HeaderList &list, QByteArrayView name);

} // namespace roster::web
