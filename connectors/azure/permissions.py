"""What Azure and Entra permissions mean: names for well-known ids, and which ones are dangerous.

App role ids normally resolve through the resource service principal's ``appRoles`` (listed
in the same bulk call as every other service principal); this table is the fallback when the
resource is not visible, for Microsoft Graph (appId 00000003-0000-0000-c000-000000000000).
"""

from __future__ import annotations

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
# Tenants that own Microsoft's first-party applications: their service principals are platform.
MICROSOFT_TENANTS = {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}

GRAPH_APP_ROLES: dict[str, str] = {
    "19dbc75e-c2e2-444c-a770-ec69d8559fc7": "Directory.ReadWrite.All",
    "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8": "RoleManagement.ReadWrite.Directory",
    "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9": "Application.ReadWrite.All",
    "18a4783c-866b-4cc7-a460-3d5e5662c884": "Application.ReadWrite.OwnedBy",
    "06b708a9-e830-4db3-a914-8e69da51d44f": "AppRoleAssignment.ReadWrite.All",
    "7ab1d382-f21e-4acd-a863-ba3e13f7da61": "Directory.Read.All",
    "62a82d76-70ea-41e2-9197-370581804d09": "Group.ReadWrite.All",
    "dbaae8cf-10b5-4b86-a4a1-f871c94c6695": "GroupMember.ReadWrite.All",
    "df021288-bdef-4463-88db-98f22de89214": "User.Read.All",
    "741f803b-c850-494e-b5df-cde7c675a1ca": "User.ReadWrite.All",
    "50483e42-d915-4231-9639-7fdb7fd190e5": "UserAuthenticationMethod.ReadWrite.All",
    "7e05723c-0bb0-42da-be95-ae9f08a6e53c": "Domain.ReadWrite.All",
    "01c0a623-fc9b-48e9-b794-0756f8e8f067": "Policy.ReadWrite.ConditionalAccess",
    "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30": "Application.Read.All",
    "b0afded3-3588-46d8-8b3d-9842eff778da": "AuditLog.Read.All",
    "810c84a8-4a9e-49e6-bf7d-12d183f40d01": "Mail.Read",
    "e2a3a72e-5f79-4c64-b1b1-878b674786c9": "Mail.ReadWrite",
    "b633e1c5-b582-4048-a93e-9f11b44c7e96": "Mail.Send",
    "75359482-378d-4052-8f01-80520e7db3cd": "Files.ReadWrite.All",
    "01d4889c-1287-42c6-ac1f-5d1e02578ef6": "Files.Read.All",
    "9492366f-7969-46a4-8d15-ed1a20078fff": "Sites.ReadWrite.All",
    "332a536c-c7ef-4017-ab91-336970924f0d": "Sites.Read.All",
}

# Application permissions that let the holder take over the tenant: grant itself any role or
# permission, add credentials to any app, or rewrite the directory. (is_admin, is_privesc)
TENANT_TAKEOVER = {
    "Directory.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "UserAuthenticationMethod.ReadWrite.All",
    "Domain.ReadWrite.All",
    "Policy.ReadWrite.ConditionalAccess",
}
# Dangerous but not a direct takeover: broad write or read of users' data. (is_sensitive)
SENSITIVE = {
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "User.ReadWrite.All",
    "Mail.Read",
    "Mail.ReadWrite",
    "Mail.Send",
    "Files.ReadWrite.All",
    "Files.Read.All",
    "Sites.ReadWrite.All",
    "Sites.Read.All",
    "Directory.Read.All",
    "Application.ReadWrite.OwnedBy",
    "User.Read.All",
    "AuditLog.Read.All",
}
# Delegated scopes that act for a user with directory-wide write (same takeover logic).
DELEGATED_TAKEOVER = TENANT_TAKEOVER | {"Directory.AccessAsUser.All"}

# Directory roles whose holder controls the tenant or every application's credentials.
PRIVILEGED_DIRECTORY_ROLES = {
    "Global Administrator",
    "Company Administrator",
    "Privileged Role Administrator",
    "Privileged Authentication Administrator",
    "Application Administrator",
    "Cloud Application Administrator",
    "Hybrid Identity Administrator",
    "Partner Tier2 Support",
    "User Administrator",
    "Authentication Administrator",
    "Conditional Access Administrator",
}

# Azure RBAC roles flagged at subscription, management-group or root scope.
ARM_PRIVILEGED_ROLES = {"Owner", "Contributor", "User Access Administrator", "Role Based Access Control Administrator"}
# Roles that can grant access to others: privilege escalation.
ARM_ESCALATION_ROLES = {"Owner", "User Access Administrator", "Role Based Access Control Administrator"}


def scope_level(scope: str) -> str:
    """root, management_group, subscription, resource_group or resource, from an ARM scope."""
    s = scope.rstrip("/").lower()
    if s in ("", "/"):
        return "root"
    if s.startswith("/providers/microsoft.management/managementgroups/"):
        return "management_group"
    parts = s.strip("/").split("/")
    if parts[0] == "subscriptions":
        if len(parts) <= 2:
            return "subscription"
        if len(parts) <= 4 and parts[2] == "resourcegroups":
            return "resource_group"
        return "resource"
    return "resource"


def is_broad_scope(scope: str) -> bool:
    return scope_level(scope) in ("root", "management_group", "subscription")
