#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QStringList>

class QTcpServer;
class QTcpSocket;

// A scripted SMTP server for what real servers will not do (KSMTP's autotests/fakeserver.h is
// the model). The script is a list of lines:
//   "S: text"  the server sends text + CRLF; consecutive S: lines go out in ONE write
//   "C: text"  the server expects exactly this line (without CRLF) from the client
//   "X"        the server closes the connection
//   "T"        the client starts TLS now: what it sends from here on is ignored
// When the script ends the connection stays open (for timeouts). Everything the client sends
// that the script does not expect is recorded in problems().
class FakeSmtpServer final : public QObject
{
    Q_OBJECT
public:
    explicit FakeSmtpServer(QList<QByteArray> script, QObject *parent = nullptr);
    ~FakeSmtpServer() override;

    quint16 port() const;
    // Flag a client that sends its next command before it got the reply to the previous one
    // (pipelining although the server did not offer it).
    void setLockstep(bool on) { m_lockstep = on; }

    bool scriptDone() const { return m_index >= m_script.size(); }
    bool clientGone() const { return m_clientGone; }
    QStringList problems() const { return m_problems; }
    QList<QByteArray> received() const { return m_received; }

private:
    void onNewConnection();
    void onReadyRead();
    void advance();

    QList<QByteArray> m_script;
    qsizetype m_index = 0;
    QTcpServer *m_server = nullptr;
    QTcpSocket *m_client = nullptr;
    QByteArray m_in;
    QStringList m_problems;
    QList<QByteArray> m_received;
    bool m_lockstep = false;
    bool m_clientGone = false;
    bool m_ignoreInput = false;
};
