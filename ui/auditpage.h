#pragma once

#include "ui/setuptablepage.h"

namespace roster {

// Setup › Audit log: the latest changes, newest first.
class AuditPage final : public SetupTablePage
{
    Q_OBJECT

public:
    static constexpr int shownEntries = 500;
    explicit AuditPage(Database &db, QWidget *parent = nullptr);

private:
    QList<QStringList> rows() const override;
};

} // namespace roster
