#pragma once

#include "app/authservice.h"
#include "app/userservice.h"

#include <QDialog>

class QLabel;
class QTableWidget;

namespace roster {

// Invitation history… from the row menu (issue 8): every invitation of one user, newest first —
// when it was sent and by whom, when it expires, its mail's state and the server's reply, and
// whether it was accepted, revoked (replaced), expired or is still open.
class InvitationHistoryDialog final : public QDialog
{
    Q_OBJECT

public:
    enum Column { SentAt, SentBy, Expires, Mail, Reply, State, ColumnCount };

    InvitationHistoryDialog(Database &db, const Clock &clock, const Session &session,
                            const UserRecord &user, QWidget *parent = nullptr);

    QTableWidget *table() const { return m_table; }
    // Re-reads the history (the dialog may stay open while the worker delivers).
    void reload();

private:
    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserRecord m_user;
    QLabel *m_summary;
    QTableWidget *m_table;
};

} // namespace roster
