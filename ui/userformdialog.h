#pragma once

#include "app/authservice.h"
#include "app/userservice.h"

#include <QDialog>

#include <optional>

class QComboBox;
class QDialogButtonBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QVBoxLayout;

namespace roster {

// What the user dialogs (add, edit, change email) share: fields checked as they are typed, a
// problem line under them, the accept button on only while check() finds the form acceptable,
// and an accept that asks UserService and closes only when it agrees. A refusal (duplicate
// email, last administrator, …) is shown on the problem line; the dialog stays open with what
// was typed.
class UserFormDialog : public QDialog
{
    Q_OBJECT

public:
    // The invitation queued (add, change email), once the service agreed.
    std::optional<InviteOutcome> outcome() const { return m_outcome; }
    void accept() override;

protected:
    // The form as it is: what the problem line says, and whether the accept button is on.
    struct Check
    {
        QString shown;
        bool acceptable = false;
    };
    // The problem line's colour: a fixed red, or the bounce warning's (follows the palette).
    enum class ProblemColour { Fixed, LikeBounce };

    // `user` is the one shown (a blank one of the kind being added).
    UserFormDialog(Database &db, const Clock &clock, const Session &session, const UserRecord &user,
                   const QString &objectName, QWidget *parent);

    virtual Check check() const = 0;
    // Asks the service to do the work; returns its refusal, or nothing when it was done.
    virtual QString submit(UserService &service) = 0;
    // Keeps the service's answer in `out`, or returns its refusal.
    template <typename T> static QString keep(Result<T> answer, std::optional<T> &out)
    {
        if (!answer)
            return answer.error().message;
        out.emplace(std::move(answer).value());
        return QString();
    }

    // The name, the email, and the profile (CRM users) or the account (portal users) of m_user;
    // `heldProfile` stays offered even to an actor who may not give it.
    QFormLayout *userFields(bool emailEditable, std::optional<qint64> heldProfile);
    // Ends the layout with the problem line and `buttons`, and checks the form once.
    void finish(QVBoxLayout *layout, QDialogButtonBox *buttons, int minimumWidth,
                ProblemColour colour = ProblemColour::Fixed);
    void validate();
    void showProblem(const QString &text);
    // The account field's own check (portal users), or nothing when there is none.
    QString accountProblem() const;

    Database &m_db;
    const Clock &m_clock;
    Session m_session;
    UserRecord m_user;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_email = nullptr;
    QComboBox *m_profile = nullptr;
    QLineEdit *m_account = nullptr;
    std::optional<InviteOutcome> m_outcome;

private:
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace roster
