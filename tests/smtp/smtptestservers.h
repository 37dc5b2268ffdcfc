#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

// Real SMTP servers for the tests, started on 127.0.0.1 and stopped by the destructor.
// Debian packages: python3-aiosmtpd (always /usr/bin/python3: the python3 on PATH may be
// another interpreter), postfix (smtp-sink, smtp-source), openssl.

// Certificates made with openssl at test time.
struct TestPki
{
    // A self-signed CA (name.key, name.pem) in dir.
    static bool makeCa(const QString &dir, const QString &name, QString *error);
    // A server key and certificate signed by the CA, for the given subjectAltName entries
    // ("DNS:localhost,IP:127.0.0.1").
    static bool makeServerCert(const QString &dir, const QString &ca, const QString &name,
                               const QString &san, QString *error);
};

struct StoredMessage
{
    QByteArray data;
    QJsonObject meta; // mail_from, rcpt_tos, connection, tls, authenticated, login
};

// tests/support/servers/smtp_server.py: aiosmtpd that records every message.
class AiosmtpdServer
{
public:
    ~AiosmtpdServer();
    bool start(const QStringList &args, QString *error);
    quint16 port() const { return m_port; }
    QString dir() const { return m_dir.path(); } // where it stores (and looks for "release")
    QList<StoredMessage> messages() const;
    // One "login ok|refused" line per AUTH attempt, in order.
    QList<QByteArray> authAttempts() const;
    void stop();

private:
    QProcess m_process;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
};

// Postfix's smtp-sink; with dumpDir() counting the messages it accepted.
class SmtpSink
{
public:
    ~SmtpSink();
    bool start(const QStringList &options, QString *error);
    quint16 port() const { return m_port; }
    int messageCount() const;
    // What smtp-sink dumped (it dumps a transaction even when it then refuses or drops it).
    QList<QByteArray> messages() const;
    void stop();

private:
    QProcess m_process;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
};

QString smtpServerScript();
quint16 freeLocalPort();
bool waitUntilListening(quint16 port, int timeoutMs);
